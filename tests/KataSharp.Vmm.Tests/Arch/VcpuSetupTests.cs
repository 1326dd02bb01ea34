using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Kvm.Interop;
using Xunit;

namespace KataSharp.Vmm.Tests.Arch;

/// <summary>MSR, LAPIC and register values of the boot state, without KVM.</summary>
public sealed class VcpuSetupTests
{
    [Fact]
    public void Only_MSRs_KVM_lists_are_set_and_fast_strings_are_on()
    {
        kvm_msr_entry[] entries = BootMsrs.Entries([BootMsrs.IA32_MISC_ENABLE, BootMsrs.LSTAR, 0x1234]);
        Assert.Equal(2, entries.Length);
        Assert.Equal(BootMsrs.MiscEnableFastString, entries.Single(e => e.index == BootMsrs.IA32_MISC_ENABLE).data);
        Assert.Equal(0UL, entries.Single(e => e.index == BootMsrs.LSTAR).data);
    }

    [Fact]
    public void LINT0_becomes_ExtINT_and_LINT1_NMI_keeping_the_other_bits()
    {
        kvm_lapic_state state = default;
        Span<byte> regs = System.Runtime.InteropServices.MemoryMarshal.AsBytes(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref state, 1));
        BitConverter.TryWriteBytes(regs[LocalApic.LvtLint0Offset..], 0x0001_0000u); // masked
        BitConverter.TryWriteBytes(regs[LocalApic.LvtLint1Offset..], 0x0001_0300u);

        kvm_lapic_state wired = LocalApic.WithVirtualWire(state);

        Assert.Equal(0x0001_0700u, LocalApic.ReadRegister(wired, LocalApic.LvtLint0Offset));
        Assert.Equal(0x0001_0400u, LocalApic.ReadRegister(wired, LocalApic.LvtLint1Offset));
    }

    [Fact]
    public void The_entry_registers_follow_the_64bit_boot_protocol()
    {
        kvm_regs regs = BootCpuState.Registers(entryPoint: 0x100_0000, zeroPage: X86Layout.ZeroPage);
        Assert.Equal((0x100_0000UL, X86Layout.ZeroPage, 2UL), (regs.rip, regs.rsi, regs.rflags));

        kvm_sregs sregs = BootCpuState.SpecialRegisters(new kvm_sregs { apic_base = 0xFEE0_0900 });
        Assert.Equal(0x8000_0031UL, sregs.cr0);
        Assert.Equal(0x20UL, sregs.cr4);
        Assert.Equal(0x500UL, sregs.efer);
        Assert.Equal(X86Layout.Pml4, sregs.cr3);
        Assert.Equal(0xFEE0_0900UL, sregs.apic_base);
        Assert.Equal((X86Layout.BootGdt, (ushort)31), (sregs.gdt.@base, sregs.gdt.limit));
        Assert.Equal((byte)1, sregs.cs.l);
    }
}
