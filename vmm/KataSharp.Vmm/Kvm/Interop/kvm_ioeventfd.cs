using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>struct kvm_ioeventfd (linux/kvm.h): a guest write to an address (optionally of one value)
/// signals an eventfd inside KVM, without an exit to user space.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_ioeventfd
{
    public ulong datamatch;
    public ulong addr;
    public uint len;
    public int fd;
    public uint flags;
    public fixed byte pad[36];
}
