using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>struct vhost_vring_file (linux/vhost_types.h): a ring's kick or call eventfd, or a net queue's backend
/// socket/tap (-1 unbinds).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vhost_vring_file
{
    public uint index;
    public int fd;
}
