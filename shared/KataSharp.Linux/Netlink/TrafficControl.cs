using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>tc handles as the kernel numbers them (major:minor in one u32).</summary>
public static class TrafficControl
{
    /// <summary>The ingress qdisc's parent (TC_H_INGRESS).</summary>
    public const uint IngressParent = TC_H_INGRESS;

    /// <summary>The ingress qdisc's handle, "ffff:", which is the parent of its filters.</summary>
    public const uint IngressHandle = 0xFFFF_0000;

    /// <summary>ETH_P_ALL: a filter protocol that matches every frame.</summary>
    public const ushort AllProtocols = ETH_P_ALL;
}
