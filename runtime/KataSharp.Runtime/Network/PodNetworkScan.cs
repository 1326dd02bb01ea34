using System.Net.Sockets;
using KataSharp.Linux.Netlink;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Network;

/// <summary>
/// Which interfaces of a pod's network namespace go to the VM, and what the guest must configure on each —
/// Kata's rules, from what rtnetlink reports:
/// <list type="bullet">
/// <item>loopback, and interfaces with no address besides an IPv6 link-local one (tunl0, sit0, anything CNI did
/// not configure), are left alone;</item>
/// <item>every other interface must be a veth (what the bridge, ptp and most CNI plugins make); any other kind
/// (macvlan, ipvlan, vlan, a tap, a physical NIC...) fails with NotImplemented naming the interface and its kind;</item>
/// <item>addresses: IPv4 and IPv6, without IPv6 link-local ones (the guest derives its own from the same MAC);
/// routes: the main table's unicast routes out of that interface that the kernel did not make itself (its
/// subnet routes come back in the guest when the address is added), so the default route and any CNI static
/// routes; neighbours: the permanent ones. IPv6-only and dual-stack setups are supported.</item>
/// </list>
/// </summary>
public static class PodNetworkScan
{
    /// <summary>More interfaces than a pod has; each becomes a virtio-net device and a tap.</summary>
    public const int MaxInterfaces = 8;

    public sealed record Candidate(LinkInfo Link, IReadOnlyList<PodAddress> Addresses, IReadOnlyList<PodRoute> Routes, IReadOnlyList<PodNeighbour> Neighbours);

    public static IReadOnlyList<Candidate> Select(string namespacePath, IReadOnlyList<LinkInfo> links, IReadOnlyList<AddressInfo> addresses,
        IReadOnlyList<RouteInfo> routes, IReadOnlyList<NeighbourInfo> neighbours)
    {
        var selected = new List<Candidate>();
        foreach (LinkInfo link in links.OrderBy(l => l.Index))
        {
            if (link.IsLoopback)
            {
                continue;
            }
            PodAddress[] configured = addresses
                .Where(a => a.LinkIndex == link.Index && !a.IsIPv6LinkLocal && !System.Net.IPAddress.IsLoopback(a.Address))
                .Select(a => new PodAddress(a.Address, a.PrefixLength))
                .ToArray();
            if (configured.Length == 0)
            {
                continue;
            }
            if (link.Kind != "veth")
            {
                string kind = link.Kind is null ? "a device without a link kind (a physical NIC or loopback-like device)" : $"a {link.Kind} interface";
                throw new RuntimeException(RuntimeError.NotImplemented,
                    $"pod network {namespacePath}: interface {link.Name} is {kind}; katasharp connects only veth interfaces to the VM " +
                    "(Kata's tcfilter model: veth ⇄ tap with tc redirects). Use a CNI plugin that makes veth pairs (bridge, ptp)");
            }
            if (link.Address is null || link.Address.GetAddressBytes().Length != 6)
            {
                throw new RuntimeException(RuntimeError.InvalidArgument, $"pod network {namespacePath}: veth {link.Name} has no Ethernet MAC address");
            }
            if (link.Mtu is < 68 or > 65535)
            {
                throw new RuntimeException(RuntimeError.InvalidArgument, $"pod network {namespacePath}: veth {link.Name} has MTU {link.Mtu}, outside 68..65535");
            }
            selected.Add(new Candidate(link, configured, RoutesOf(link, routes), NeighboursOf(link, neighbours)));
        }
        if (selected.Count > MaxInterfaces)
        {
            throw new RuntimeException(RuntimeError.NotImplemented,
                $"pod network {namespacePath}: {selected.Count} configured interfaces ({string.Join(", ", selected.Select(c => c.Link.Name))}); at most {MaxInterfaces} are supported");
        }
        return selected;
    }

    private static PodRoute[] RoutesOf(LinkInfo link, IReadOnlyList<RouteInfo> routes) => routes
        .Where(r => r.OutputIndex == link.Index && r.Protocol != RouteProtocol.Kernel && r.Type == RouteType.Unicast)
        .Where(r => !(r.Family == AddressFamily.InterNetworkV6 && r.Destination is { IsIPv6LinkLocal: true }))
        .Select(r => new PodRoute(r.Family, r.IsDefault ? null : r.Destination, r.DestinationPrefix, r.Gateway)
        {
            Source = r.PreferredSource,
            Scope = (byte)r.Scope,
            Metric = r.Metric,
        })
        .ToArray();

    private static PodNeighbour[] NeighboursOf(LinkInfo link, IReadOnlyList<NeighbourInfo> neighbours) => neighbours
        .Where(n => n.LinkIndex == link.Index && (n.State & NeighbourState.Permanent) != 0 && n.LinkAddress is not null && n.LinkAddress.GetAddressBytes().Length == 6)
        .Select(n => new PodNeighbour(n.Address, n.LinkAddress!))
        .ToArray();
}
