using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>struct vhost_vring_addr (linux/vhost_types.h): where a ring's three parts are, as addresses in the VMM's
/// own address space (vhost reads them through our mm, like a copy_from_user).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_addr
{
    public uint index;
    public uint flags;
    public ulong desc_user_addr;
    public ulong used_user_addr;
    public ulong avail_user_addr;
    public ulong log_guest_addr;
}
