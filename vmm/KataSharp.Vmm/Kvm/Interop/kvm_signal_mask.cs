using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_signal_mask (linux/kvm.h): header of KVM_SET_SIGNAL_MASK; <c>__u8 sigset[len]</c> follows.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_signal_mask
{
    public uint len;
}
