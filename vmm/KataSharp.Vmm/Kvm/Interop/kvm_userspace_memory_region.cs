using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_userspace_memory_region (linux/kvm.h): one guest-physical → host-virtual RAM slot.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_userspace_memory_region
{
    public uint slot;
    public uint flags;
    public ulong guest_phys_addr;
    public ulong memory_size;
    public ulong userspace_addr;
}
