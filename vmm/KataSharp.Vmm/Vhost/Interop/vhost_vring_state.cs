using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>struct vhost_vring_state (linux/vhost_types.h): a ring's size (SET_VRING_NUM) or next avail index
/// (SET/GET_VRING_BASE).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_state
{
    public uint index;
    public uint num;
}
