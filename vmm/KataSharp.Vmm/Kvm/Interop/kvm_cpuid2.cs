using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_cpuid2 (asm/kvm.h): header of the CPUID ioctls; <c>kvm_cpuid_entry2 entries[]</c> follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_cpuid2
{
    public uint nent;
    public uint padding;
}
