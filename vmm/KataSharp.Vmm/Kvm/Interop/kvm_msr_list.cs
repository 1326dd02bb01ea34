using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_msr_list (asm/kvm.h): header of KVM_GET_MSR_INDEX_LIST; <c>__u32 indices[]</c> follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_list
{
    public uint nmsrs;
}
