using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_lapic_state (asm/kvm.h): the local APIC register page as KVM stores it.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_lapic_state
{
    public const int RegsSize = 1024;

    public fixed byte regs[RegsSize];
}
