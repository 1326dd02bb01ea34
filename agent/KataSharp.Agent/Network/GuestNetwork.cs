using System.Net.NetworkInformation;
using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Netlink;

namespace KataSharp.Agent.Network;

/// <summary>
/// The guest side of pod networking (Kata's agent UpdateInterface / UpdateRoutes / AddARPNeighbors): the host
/// gives each pod interface's MAC, name, MTU, addresses, routes and static neighbours, and the guest's
/// virtio-net interface with that MAC is made to match, through rtnetlink in the agent's network namespace
/// (the one every container of the pod shares). Calls are serialized; requests are validated at the gRPC
/// edge (Services/NetworkTranslation) before they get here.
/// </summary>
public sealed class GuestNetwork(Func<RouteNetlink> open) : IDisposable
{
    private readonly object _lock = new();
    private RouteNetlink? _netlink;

    /// <summary>rtnetlink in the calling (agent's) network namespace, opened on first use.</summary>
    public GuestNetwork() : this(() => RouteNetlink.Open())
    {
    }

    /// <summary>Down, addresses flushed, renamed (swapping names with an interface that has the wanted one), MTU,
    /// up, then the requested addresses (IPv6 without duplicate detection: the host already did it for them).
    /// Returns the interface's name afterwards.</summary>
    public string UpdateInterface(GuestInterface request)
    {
        lock (_lock)
        {
            RouteNetlink netlink = Netlink();
            IReadOnlyList<LinkInfo> links = netlink.ListLinks();
            LinkInfo link = links.FirstOrDefault(l => request.Mac.Equals(l.Address))
                ?? throw AgentException.NotFound($"no guest interface has MAC {Format(request.Mac)} (guest interfaces: " +
                    string.Join(", ", links.Select(l => $"{l.Name} {Format(l.Address)}")) + ")");
            if (link.IsUp)
            {
                netlink.SetLinkUp(link.Index, false);
            }
            foreach (AddressInfo address in netlink.ListAddresses(link.Index))
            {
                netlink.DeleteAddress(address);
            }
            string name = link.Name;
            if (request.Name is { } wanted && wanted != link.Name)
            {
                Rename(netlink, links, link, wanted);
                name = wanted;
            }
            netlink.SetMtu(link.Index, request.Mtu);
            netlink.SetLinkUp(link.Index, true);
            foreach (GuestAddress address in request.Addresses)
            {
                netlink.AddAddress(new AddressInfo(link.Index, address.Address, address.PrefixLength), skipDuplicateDetection: true);
            }
            return name;
        }
    }

    /// <summary>Replaces the main table's routes (all but the kernel's own and loopback's) with <paramref name="routes"/>:
    /// directly connected ones first, so the gateways of the others are reachable when they are added. A route
    /// the kernel already has (EEXIST) is fine.</summary>
    public void UpdateRoutes(IReadOnlyList<GuestRoute> routes)
    {
        lock (_lock)
        {
            RouteNetlink netlink = Netlink();
            IReadOnlyList<LinkInfo> links = netlink.ListLinks();
            var resolved = routes.Select((r, i) => (Route: r, Index: DeviceIndex(links, r.Device, $"routes[{i}].device"))).ToList();
            var loopback = links.Where(l => l.IsLoopback).Select(l => l.Index).ToHashSet();
            foreach (RouteInfo old in netlink.ListRoutes())
            {
                if (old.Protocol != RouteProtocol.Kernel && old.OutputIndex != 0 && !loopback.Contains(old.OutputIndex))
                {
                    netlink.DeleteRoute(old);
                }
            }
            foreach (var (route, index) in resolved.OrderBy(r => r.Route.Gateway is null ? 0 : 1))
            {
                var info = new RouteInfo(route.Family, route.Destination, route.DestinationPrefix, route.Gateway, index)
                {
                    Scope = (RouteScope)route.Scope,
                    Metric = route.Metric,
                    PreferredSource = route.Source,
                    Protocol = RouteProtocol.Boot,
                };
                try
                {
                    netlink.AddRoute(info);
                }
                catch (LinuxException e) when (e.Errno == Errno.EEXIST)
                {
                }
            }
        }
    }

    /// <summary>Adds or replaces permanent neighbour entries.</summary>
    public void AddNeighbours(IReadOnlyList<GuestNeighbour> neighbours)
    {
        lock (_lock)
        {
            RouteNetlink netlink = Netlink();
            IReadOnlyList<LinkInfo> links = netlink.ListLinks();
            var resolved = neighbours.Select((n, i) => (Neighbour: n, Index: DeviceIndex(links, n.Device, $"neighbors[{i}].device"))).ToList();
            foreach (var (neighbour, index) in resolved)
            {
                netlink.ReplaceNeighbour(new NeighbourInfo(index, neighbour.Address, neighbour.Mac, NeighbourState.Permanent));
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _netlink?.Dispose();
            _netlink = null;
        }
    }

    private RouteNetlink Netlink() => _netlink ??= open();

    /// <summary>Renames <paramref name="link"/> (down) to <paramref name="wanted"/>; an interface that already has that name
    /// takes <paramref name="link"/>'s old name (through a temporary one), so two interfaces can trade names.</summary>
    private static void Rename(RouteNetlink netlink, IReadOnlyList<LinkInfo> links, LinkInfo link, string wanted)
    {
        LinkInfo? holder = links.FirstOrDefault(l => l.Name == wanted && l.Index != link.Index);
        if (holder is null)
        {
            netlink.SetName(link.Index, wanted);
            return;
        }
        if (holder.IsLoopback)
        {
            throw AgentException.Invalid("interface.name", $"'{wanted}' is the loopback interface's name");
        }
        if (holder.IsUp)
        {
            netlink.SetLinkUp(holder.Index, false);
        }
        netlink.SetName(holder.Index, $"ks-swap{holder.Index}"[..Math.Min(15, $"ks-swap{holder.Index}".Length)]);
        netlink.SetName(link.Index, wanted);
        netlink.SetName(holder.Index, link.Name);
        if (holder.IsUp)
        {
            netlink.SetLinkUp(holder.Index, true);
        }
    }

    private static int DeviceIndex(IReadOnlyList<LinkInfo> links, string device, string field) =>
        links.FirstOrDefault(l => l.Name == device)?.Index
            ?? throw AgentException.NotFound($"{field}: no guest interface is named '{device}' (guest interfaces: {string.Join(", ", links.Select(l => l.Name))})");

    public static string Format(PhysicalAddress? mac) =>
        mac is null ? "none" : string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2")));
}
