using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// The direct-boot recipe, in order: check that kernel and initrd fit (before any VM exists),
/// load them, then write what the kernel reads at entry — GDT and IDT, identity page tables,
/// MP table, command line and the zero page.
/// </summary>
public static class LinuxBoot
{
    /// <summary>End of the RAM that starts at address 0 (the only RAM below 4 GiB).</summary>
    public static ulong LowRamEnd(ulong memoryBytes) => Math.Min(memoryBytes, X86Layout.MmioHoleStart);

    /// <summary>Checks that the kernel fits in RAM and places the initrd; returns the initrd address (0 without one).</summary>
    public static ulong Plan(KernelImage kernel, InitrdImage? initrd, ulong memoryBytes)
    {
        ulong lowEnd = LowRamEnd(memoryBytes);
        if (kernel.RequiredEnd > lowEnd)
        {
            throw new BootException(BootError.KernelDoesNotFit,
                $"kernel '{kernel.Path}' needs guest memory up to 0x{kernel.RequiredEnd:x} ({kernel.RequiredEnd >> 20} MiB) but the VM has {memoryBytes >> 20} MiB. Give the VM more memory.");
        }
        return initrd?.PlaceBelow(lowEnd, kernel.InitrdAddressMax, kernel.RequiredEnd) ?? 0;
    }

    /// <summary>Copies the kernel (and the initrd at <paramref name="initrdAddress"/>) into guest RAM.</summary>
    public static void Load(GuestMemory memory, KernelImage kernel, InitrdImage? initrd, ulong initrdAddress)
    {
        kernel.LoadInto(memory);
        initrd?.LoadInto(memory, initrdAddress);
    }

    /// <summary>Writes the boot data for <paramref name="vcpuCount"/> vCPUs and returns what went where.</summary>
    public static BootLayout WriteBootData(GuestMemory memory, KernelImage kernel, InitrdImage? initrd, ulong initrdAddress,
        KernelCmdline cmdline, int vcpuCount, uint cpuSignature)
    {
        byte[] cmdlineBytes = cmdline.ToBytes(kernel.CmdlineMaxLength);
        Gdt.Write(memory);
        PageTables.Write(memory);
        MpTable.Write(memory, vcpuCount, cpuSignature);
        memory.Clear(new GuestAddress(X86Layout.CmdlineStart), (ulong)X86Layout.CmdlineMaxSize);
        memory.Write(new GuestAddress(X86Layout.CmdlineStart), cmdlineBytes);

        IReadOnlyList<E820Entry> e820 = E820Map.Build(memory.Regions);
        ulong initrdSize = initrd?.Size ?? 0;
        byte[] zeroPage = BootParams.Build(kernel, X86Layout.CmdlineStart, initrdAddress, initrdSize, e820);
        memory.Write(new GuestAddress(X86Layout.ZeroPage), zeroPage);
        return new BootLayout(kernel.Entry, X86Layout.ZeroPage, X86Layout.CmdlineStart, cmdline.ToString(), initrdAddress, initrdSize, e820);
    }
}
