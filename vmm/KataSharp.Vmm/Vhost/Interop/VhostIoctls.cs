using System.Runtime.CompilerServices;
using KataSharp.Linux;
using static KataSharp.Vmm.Vhost.Interop.VhostConstants;

namespace KataSharp.Vmm.Vhost.Interop;

/// <summary>
/// The vhost(-net) ioctl request numbers KataSharp uses, computed from the _IO/_IOR/_IOW/_IOWR encoding and the C
/// struct sizes. C names, so the layout test can compare each with the header macro.
/// </summary>
public static class VhostIoctls
{
    public static readonly uint VHOST_GET_FEATURES = IoctlNumber.Ior(VHOST_VIRTIO, 0x00, sizeof(ulong));
    public static readonly uint VHOST_SET_FEATURES = IoctlNumber.Iow(VHOST_VIRTIO, 0x00, sizeof(ulong));
    public static readonly uint VHOST_SET_OWNER = IoctlNumber.Io(VHOST_VIRTIO, 0x01);
    public static readonly uint VHOST_SET_MEM_TABLE = IoctlNumber.Iow(VHOST_VIRTIO, 0x03, Unsafe.SizeOf<vhost_memory>());
    public static readonly uint VHOST_SET_VRING_NUM = IoctlNumber.Iow(VHOST_VIRTIO, 0x10, Unsafe.SizeOf<vhost_vring_state>());
    public static readonly uint VHOST_SET_VRING_ADDR = IoctlNumber.Iow(VHOST_VIRTIO, 0x11, Unsafe.SizeOf<vhost_vring_addr>());
    public static readonly uint VHOST_SET_VRING_BASE = IoctlNumber.Iow(VHOST_VIRTIO, 0x12, Unsafe.SizeOf<vhost_vring_state>());
    public static readonly uint VHOST_GET_VRING_BASE = IoctlNumber.Iowr(VHOST_VIRTIO, 0x12, Unsafe.SizeOf<vhost_vring_state>());
    public static readonly uint VHOST_SET_VRING_KICK = IoctlNumber.Iow(VHOST_VIRTIO, 0x20, Unsafe.SizeOf<vhost_vring_file>());
    public static readonly uint VHOST_SET_VRING_CALL = IoctlNumber.Iow(VHOST_VIRTIO, 0x21, Unsafe.SizeOf<vhost_vring_file>());
    public static readonly uint VHOST_NET_SET_BACKEND = IoctlNumber.Iow(VHOST_VIRTIO, 0x30, Unsafe.SizeOf<vhost_vring_file>());
}
