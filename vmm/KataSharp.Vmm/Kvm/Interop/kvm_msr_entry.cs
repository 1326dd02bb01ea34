using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_msr_entry (asm/kvm.h): one MSR index and value.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_entry
{
    public uint index;
    public uint reserved;
    public ulong data;
}
