using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_segment (asm/kvm.h): a segment register with its hidden descriptor cache.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_segment
{
    public ulong @base;
    public uint limit;
    public ushort selector;
    public byte type;
    public byte present, dpl, db, s, l, g, avl;
    public byte unusable;
    public byte padding;
}
