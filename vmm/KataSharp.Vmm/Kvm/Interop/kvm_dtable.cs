using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_dtable (asm/kvm.h): a GDTR/IDTR value.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_dtable
{
    public ulong @base;
    public ushort limit;
    public fixed ushort padding[3];
}
