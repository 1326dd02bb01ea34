using System.Net;

namespace KataSharp.Linux.Netlink;

/// <summary>An interface address with its prefix length (RTM_GETADDR / RTM_NEWADDR).</summary>
public sealed record AddressInfo(int LinkIndex, IPAddress Address, int PrefixLength)
{
    public RouteScope Scope { get; init; } = RouteScope.Universe;

    /// <summary>An IPv6 fe80::/10 address: made by the kernel from the MAC, not configuration.</summary>
    public bool IsIPv6LinkLocal => Address.IsIPv6LinkLocal;

    public override string ToString() => $"{Address}/{PrefixLength} on ifindex {LinkIndex}";
}
