using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_msrs (asm/kvm.h): header of KVM_GET/SET_MSRS; <c>kvm_msr_entry entries[]</c> follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msrs
{
    public uint nmsrs;
    public uint pad;
}
