using System.Runtime.InteropServices;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// struct virtio_net_hdr_v1 (virtio spec 1.1 §5.1.6): the 12 bytes in front of every frame both ways.
/// With VERSION_1 it always includes num_buffers, whether or not MRG_RXBUF was negotiated; the tap's
/// vnet header (TUNSETVNETHDRSZ 12) has the same layout, so headers pass through unchanged.
/// Fields are little-endian (virtio 1.x), the host's order on x86-64.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct NetHeader
{
    public const int Size = 12;

    /// <summary>Offset of num_buffers (the last field).</summary>
    public const int NumBuffersOffset = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum from csum_start is partial.</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksums were verified (receive only).</summary>
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: or-ed into gso_type when the TCP segment has ECN set.</summary>
    public const byte GsoEcn = 0x80;

    public byte Flags;
    public byte GsoType;
    public ushort HeaderLength;
    public ushort GsoSize;
    public ushort CsumStart;
    public ushort CsumOffset;
    public ushort NumBuffers;
}
