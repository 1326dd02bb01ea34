namespace KataSharp.Linux.Network;

/// <summary>
/// TUNSETOFFLOAD flags (TUN_F_*, linux/if_tun.h): what the reader of a tap (the VMM) can take from it.
/// Without <see cref="Checksum"/> the kernel checksums every frame before handing it over; without the
/// TSO flags it segments large TCP sends into MTU-sized frames first.
/// </summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,

    /// <summary>TUN_F_CSUM: frames may carry a partial checksum (virtio_net_hdr NEEDS_CSUM).</summary>
    Checksum = 0x01,

    /// <summary>TUN_F_TSO4: TCP over IPv4 segments up to 64 KiB (needs <see cref="Checksum"/>).</summary>
    Tso4 = 0x02,

    /// <summary>TUN_F_TSO6: TCP over IPv6 segments up to 64 KiB (needs <see cref="Checksum"/>).</summary>
    Tso6 = 0x04,

    /// <summary>TUN_F_TSO_ECN: TSO segments with ECN bits.</summary>
    TsoEcn = 0x08,
}
