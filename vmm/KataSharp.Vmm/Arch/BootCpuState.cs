using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Kvm.Interop;
using static KataSharp.Vmm.Arch.ControlRegisters;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// The boot vCPU's state at the Linux 64-bit entry point (Documentation/arch/x86/boot.rst,
/// "64-bit boot protocol"): long mode with paging on identity tables, flat segments from
/// <see cref="Gdt"/>, interrupts off, RSI = zero page. Application processors are left in
/// KVM's wait-for-SIPI state; Linux starts them itself through the local APIC.
/// </summary>
public static class BootCpuState
{
    /// <summary>CR0 at entry: protected mode and paging, x87 error reporting native (what Linux sets itself).</summary>
    public const ulong Cr0 = Cr0ProtectionEnable | Cr0ExtensionType | Cr0NumericError | Cr0Paging;

    public const ulong Cr4 = Cr4PhysicalAddressExtension;

    public const ulong Efer = EferLongModeEnable | EferLongModeActive;

    /// <summary>x87 control word after FNINIT, and MXCSR after reset: all exceptions masked. (KVM_SET_FPU
    /// ignores the MXCSR field; KVM's own vCPU reset already sets 0x1F80. It is passed for completeness.)</summary>
    public const ushort FpuControlWord = 0x37F;
    public const uint MxcsrDefault = 0x1F80;

    public static kvm_regs Registers(ulong entryPoint, ulong zeroPage) => new()
    {
        rip = entryPoint,
        rsi = zeroPage,
        rsp = X86Layout.BootStack,
        rbp = X86Layout.BootStack,
        rflags = RflagsReserved,
    };

    /// <summary>Special registers for the entry state, keeping what KVM initialised that we do not own (APIC base).</summary>
    public static kvm_sregs SpecialRegisters(kvm_sregs current)
    {
        kvm_sregs s = current;
        s.cs = Gdt.CodeSegment;
        s.ds = s.es = s.fs = s.gs = s.ss = Gdt.DataSegment;
        s.tr = Gdt.TssSegment;
        s.gdt.@base = X86Layout.BootGdt;
        s.gdt.limit = Gdt.Limit;
        s.idt.@base = X86Layout.BootIdt;
        s.idt.limit = sizeof(ulong) - 1;
        s.cr0 = Cr0;
        s.cr3 = X86Layout.Pml4;
        s.cr4 = Cr4;
        s.efer = Efer;
        return s;
    }

    public static kvm_fpu Fpu() => new() { fcw = FpuControlWord, mxcsr = MxcsrDefault };

    /// <summary>Puts <paramref name="vcpu"/> at the kernel entry. The GDT and page tables must already be in guest memory.</summary>
    public static void Apply(VcpuFd vcpu, ulong entryPoint, ulong zeroPage)
    {
        vcpu.SetSpecialRegisters(SpecialRegisters(vcpu.GetSpecialRegisters()));
        vcpu.SetRegisters(Registers(entryPoint, zeroPage));
    }

    /// <summary>FPU state every vCPU starts with (KVM's default leaves FCW at 0, i.e. exceptions unmasked).</summary>
    public static void ApplyFpu(VcpuFd vcpu) => vcpu.SetFpu(Fpu());
}
