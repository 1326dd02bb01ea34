namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>virtio-net feature bits (virtio spec 1.1 §5.1.3, linux/virtio_net.h) that KataSharp offers.</summary>
public static class NetFeatures
{
    /// <summary>VIRTIO_NET_F_CSUM: the guest may send frames with a partial checksum (the tap completes it).</summary>
    public const ulong Csum = 1UL << 0;

    /// <summary>VIRTIO_NET_F_GUEST_CSUM: we may hand the guest frames with a partial checksum or DATA_VALID.</summary>
    public const ulong GuestCsum = 1UL << 1;

    /// <summary>VIRTIO_NET_F_MTU: config.mtu is the largest MTU the guest should use.</summary>
    public const ulong Mtu = 1UL << 3;

    /// <summary>VIRTIO_NET_F_MAC: config.mac is the guest's MAC address.</summary>
    public const ulong Mac = 1UL << 5;

    /// <summary>VIRTIO_NET_F_GUEST_TSO4: we may hand the guest TCP/IPv4 segments up to 64 KiB.</summary>
    public const ulong GuestTso4 = 1UL << 7;

    /// <summary>VIRTIO_NET_F_GUEST_TSO6: we may hand the guest TCP/IPv6 segments up to 64 KiB.</summary>
    public const ulong GuestTso6 = 1UL << 8;

    /// <summary>VIRTIO_NET_F_HOST_TSO4: the guest may send TCP/IPv4 segments up to 64 KiB (the tap segments them).</summary>
    public const ulong HostTso4 = 1UL << 11;

    /// <summary>VIRTIO_NET_F_HOST_TSO6: the guest may send TCP/IPv6 segments up to 64 KiB.</summary>
    public const ulong HostTso6 = 1UL << 12;

    /// <summary>VIRTIO_NET_F_MRG_RXBUF: a received frame may span several RX chains (num_buffers says how many).</summary>
    public const ulong MrgRxbuf = 1UL << 15;

    /// <summary>VIRTIO_NET_F_STATUS: config.status carries the link state.</summary>
    public const ulong Status = 1UL << 16;

    /// <summary>What every KataSharp net device offers (MTU only when one is configured).</summary>
    public const ulong Offered = Csum | GuestCsum | Mac | GuestTso4 | GuestTso6 | HostTso4 | HostTso6 | MrgRxbuf | Status;
}
