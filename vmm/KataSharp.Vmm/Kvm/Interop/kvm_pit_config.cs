using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_pit_config (linux/kvm.h): KVM_CREATE_PIT2's argument.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_pit_config
{
    public uint flags;
    public fixed uint pad[15];
}
