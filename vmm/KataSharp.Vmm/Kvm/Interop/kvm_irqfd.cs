using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_irqfd (linux/kvm.h): ties an eventfd to a GSI so a write injects the interrupt.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_irqfd
{
    public uint fd;
    public uint gsi;
    public uint flags;
    public uint resamplefd;
    public fixed byte pad[16];
}
