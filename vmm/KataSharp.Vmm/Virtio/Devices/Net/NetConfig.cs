using System.Buffers.Binary;
using System.Net.NetworkInformation;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// struct virtio_net_config as far as KataSharp fills it (virtio spec 1.1 §5.1.4): mac[6] at 0,
/// status at 6, max_virtqueue_pairs at 8 (1: no multiqueue), mtu at 10. speed/duplex and the RSS
/// fields follow only with features we do not offer.
/// </summary>
public static class NetConfig
{
    public const int Size = 12;

    /// <summary>VIRTIO_NET_S_LINK_UP.</summary>
    public const ushort StatusLinkUp = 1;

    public static void Render(Span<byte> config, PhysicalAddress mac, ushort status, ushort mtu)
    {
        config.Clear();
        mac.GetAddressBytes().CopyTo(config);
        BinaryPrimitives.WriteUInt16LittleEndian(config[6..], status);
        BinaryPrimitives.WriteUInt16LittleEndian(config[8..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(config[10..], mtu);
    }
}
