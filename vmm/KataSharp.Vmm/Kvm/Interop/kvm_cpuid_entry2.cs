using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_cpuid_entry2 (asm/kvm.h): one CPUID leaf/subleaf and its four result registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_cpuid_entry2
{
    public uint function;
    public uint index;
    public uint flags;
    public uint eax, ebx, ecx, edx;
    public fixed uint padding[3];
}
