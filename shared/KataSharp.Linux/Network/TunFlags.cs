namespace KataSharp.Linux.Network;

/// <summary>TUNSETIFF/TUNGETIFF flags (linux/if_tun.h) KataSharp uses.</summary>
[Flags]
public enum TunFlags : short
{
    None = 0,

    /// <summary>IFF_TUN: IP packets, no Ethernet header.</summary>
    Tun = 0x0001,

    /// <summary>IFF_TAP: Ethernet frames.</summary>
    Tap = 0x0002,

    /// <summary>IFF_NO_PI: no 4-byte packet-information prefix on each frame.</summary>
    NoPacketInfo = 0x1000,

    /// <summary>IFF_VNET_HDR: every frame starts with a virtio_net_hdr (offload metadata) of the
    /// size set with TUNSETVNETHDRSZ.</summary>
    VnetHeader = 0x4000,

    /// <summary>IFF_MULTI_QUEUE: several descriptors may attach to the same tap.</summary>
    MultiQueue = 0x0100,

    /// <summary>IFF_TUN_EXCL: create only; an existing interface of that name is EBUSY, never attached to.</summary>
    Exclusive = unchecked((short)0x8000),
}
