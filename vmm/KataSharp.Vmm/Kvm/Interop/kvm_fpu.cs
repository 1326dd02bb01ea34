using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_fpu (asm/kvm.h): x87 and SSE state.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_fpu
{
    public fixed byte fpr[8 * 16];
    public ushort fcw;
    public ushort fsw;
    public byte ftwx;
    public byte pad1;
    public ushort last_opcode;
    public ulong last_ip;
    public ulong last_dp;
    public fixed byte xmm[16 * 16];
    public uint mxcsr;
    public uint pad2;
}
