namespace KataSharp.Vmm.Arch;

/// <summary>
/// Every fixed guest-physical address the VMM uses, each with the reason it is there.
/// Values follow the Linux x86 boot protocol and the usual PC memory map.
/// </summary>
public static class X86Layout
{
    /// <summary>Real-mode IVT and BIOS data area end here; nothing of ours goes below.</summary>
    public const ulong LowMemoryStart = 0x500;

    /// <summary>GDT used for the 64-bit entry (selectors 0x08 code, 0x10 data).</summary>
    public const ulong BootGdt = 0x500;

    /// <summary>An empty IDT: the kernel installs its own before enabling interrupts.</summary>
    public const ulong BootIdt = 0x520;

    /// <summary>Linux <c>boot_params</c> ("zero page"); RSI points here at entry.</summary>
    public const ulong ZeroPage = 0x7000;

    /// <summary>Identity page tables for the first 4 GiB (PML4, PDPT, and <see cref="PageDirectoryCount"/>
    /// consecutive PDs of 2 MiB pages from <see cref="PageDirectory"/>): the kernel, boot data, and the
    /// MMIO hole are all reachable at entry, so tiny test programs can touch devices directly.</summary>
    public const ulong Pml4 = 0x9000;

    public const ulong Pdpt = 0xA000;

    public const ulong PageDirectory = 0xB000;

    /// <summary>One PD maps 1 GiB; four cover [0, 4 GiB) and end at 0xF000, below the command line.</summary>
    public const int PageDirectoryCount = 4;

    /// <summary>Initial stack pointer for the boot vCPU (grows down below the page tables).</summary>
    public const ulong BootStack = 0x8FF0;

    /// <summary>Kernel command line (NUL-terminated).</summary>
    public const ulong CmdlineStart = 0x20000;

    /// <summary>x86 COMMAND_LINE_SIZE: the kernel ignores anything longer.</summary>
    public const int CmdlineMaxSize = 2048;

    /// <summary>Extended BIOS data area: the MP table lives here, where Linux scans for it
    /// (the last KiB of 640 KiB base memory). [EBDA, 1 MiB) is left out of the e820 map.</summary>
    public const ulong EbdaStart = 0x9FC00;

    /// <summary>Legacy VGA/ROM hole [0xA0000, 0x100000) is not RAM in the e820 map.</summary>
    public const ulong LegacyHoleStart = 0xA0000;

    /// <summary>RAM resumes at 1 MiB ("high memory"); kernels load at or above it.</summary>
    public const ulong HighMemoryStart = 0x100000;

    /// <summary>32-bit MMIO hole: [3 GiB, 4 GiB) is never RAM. Guest RAM beyond 3 GiB continues at 4 GiB.</summary>
    public const ulong MmioHoleStart = 0xC000_0000;

    public const ulong MmioHoleEnd = 0x1_0000_0000;

    /// <summary>virtio-mmio device slots start here, one <see cref="VirtioMmioSlotSize"/> window each.</summary>
    public const ulong VirtioMmioBase = 0xD000_0000;

    /// <summary>One 4 KiB register window per virtio-mmio device.</summary>
    public const ulong VirtioMmioSlotSize = 0x1000;

    /// <summary>Room for 1024 slots before the IOAPIC.</summary>
    public const int VirtioMmioMaxSlots = 1024;

    /// <summary>IOAPIC and local APIC, emulated by KVM's in-kernel irqchip.</summary>
    public const ulong IoApicBase = 0xFEC0_0000;

    public const ulong LocalApicBase = 0xFEE0_0000;

    /// <summary>Three pages KVM needs for its real-mode TSS (KVM_SET_TSS_ADDR), at the top of the
    /// MMIO hole where nothing else lives (the address Firecracker and QEMU also use).</summary>
    public const ulong KvmTssAddress = 0xFFFB_D000;

    /// <summary>One page for KVM's EPT identity map (KVM_SET_IDENTITY_MAP_ADDR), just below the TSS.</summary>
    public const ulong KvmIdentityMapAddress = 0xFFFB_C000;

    /// <summary>IRQs 0-4 belong to the PIT, keyboard, cascade and COM ports; virtio uses 5..23
    /// (the IOAPIC has 24 pins). Devices may share a line when there are more devices than IRQs.</summary>
    public const uint FirstDeviceIrq = 5;

    public const uint LastDeviceIrq = 23;

    /// <summary>COM1, the guest console.</summary>
    public const ushort Com1Port = 0x3F8;

    public const uint Com1Irq = 4;

    /// <summary>COM2-COM4: answered as empty so a guest probing them does not fill the log.</summary>
    public const ushort Com2Port = 0x2F8;

    public const ushort Com3Port = 0x3E8;

    public const ushort Com4Port = 0x2E8;

    /// <summary>8 registers per 8250 UART.</summary>
    public const ushort UartPortCount = 8;

    /// <summary>CMOS/RTC index and data ports.</summary>
    public const ushort CmosPort = 0x70;

    /// <summary>DMA page registers 0x80-0x8F, among them the POST code port 0x80 that Linux writes as an I/O delay.</summary>
    public const ushort DmaPagePorts = 0x80;

    public const ushort DmaPagePortCount = 16;

    /// <summary>PCI configuration mechanism #1 (address 0xCF8, data 0xCFC-0xCFF): there is no PCI.</summary>
    public const ushort PciConfigPort = 0xCF8;

    public const ushort PciConfigPortCount = 8;

    /// <summary>i8042 controller ports: the kernel writes 0xFE to 0x64 to reset (reboot=k).</summary>
    public const ushort I8042DataPort = 0x60;

    public const ushort I8042CommandPort = 0x64;
}
