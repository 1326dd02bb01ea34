using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_irq_level (linux/kvm.h): KVM_IRQ_LINE's argument (the irq/status union is read as irq).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_irq_level
{
    public uint irq;
    public uint level;
}
