using System.Net.NetworkInformation;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// One network interface as RTM_GETLINK reports it. <see cref="Kind"/> is IFLA_INFO_KIND ("veth", "tun",
/// "macvlan", "bridge"...), null for devices without rtnl link ops (loopback, physical NICs).
/// <see cref="PeerIndex"/> is IFLA_LINK (a veth's peer, a macvlan's lower device), 0 when absent.
/// </summary>
public sealed record LinkInfo(int Index, string Name, string? Kind, PhysicalAddress? Address, int Mtu, LinkFlags Flags)
{
    public int PeerIndex { get; init; }

    public bool IsUp => (Flags & LinkFlags.Up) != 0;

    public bool IsLoopback => (Flags & LinkFlags.Loopback) != 0;
}
