using System.Net.NetworkInformation;
using System.Net.Sockets;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// rtnetlink (NETLINK_ROUTE) for one network namespace: links, addresses, routes, neighbours and the tc
/// pieces of Kata's tcfilter model. The namespace is the one of the thread that called <see cref="Open"/>
/// (open it on a thread that entered the namespace, see Namespaces/NetworkNamespaceThread); afterwards
/// any thread may use it, one call at a time (calls are serialized). Failures are
/// <see cref="LinuxException"/>s: the call names the operation and object, errno says why, and the
/// kernel's extended-ack text is appended when it sent one.
/// </summary>
public sealed class RouteNetlink : IDisposable
{
    private readonly NetlinkSocket _socket;

    private RouteNetlink(NetlinkSocket socket) => _socket = socket;

    /// <summary>Opens rtnetlink in the calling thread's network namespace; each reply is awaited at most
    /// <paramref name="timeout"/> (default 10 s).</summary>
    public static RouteNetlink Open(TimeSpan? timeout = null) => new(NetlinkSocket.Open(timeout));

    /// <summary>Whether the kernel would take <paramref name="name"/> as an interface name (1-15 bytes, no '/', ':',
    /// whitespace or control characters, not "." or "..").</summary>
    public static bool IsValidInterfaceName(string name) => LinkMessages.IsValidName(name);

    // ---- links

    public IReadOnlyList<LinkInfo> ListLinks() =>
        _socket.Query(LinkMessages.Dump(), RTM_NEWLINK, LinkMessages.Parse, "RTM_GETLINK (dump)");

    /// <summary>The link named <paramref name="name"/>, or null when there is none (ENODEV).</summary>
    public LinkInfo? FindLink(string name) => FindOrNull(() =>
        _socket.Query(LinkMessages.GetByName(name), RTM_NEWLINK, LinkMessages.Parse, $"RTM_GETLINK {name}"));

    /// <summary>The link with index <paramref name="index"/>, or null when there is none (ENODEV).</summary>
    public LinkInfo? FindLink(int index) => FindOrNull(() =>
        _socket.Query(LinkMessages.GetByIndex(index), RTM_NEWLINK, LinkMessages.Parse, $"RTM_GETLINK #{index}"));

    public void SetLinkUp(int index, bool up) =>
        _socket.Execute(LinkMessages.Set(index, up ? LinkFlags.Up : LinkFlags.None, LinkFlags.Up), $"RTM_NEWLINK #{index} {(up ? "up" : "down")}");

    public void SetMtu(int index, int mtu) =>
        _socket.Execute(LinkMessages.Set(index, LinkFlags.None, LinkFlags.None, mtu: mtu), $"RTM_NEWLINK #{index} mtu {mtu}");

    public void SetMacAddress(int index, PhysicalAddress address) =>
        _socket.Execute(LinkMessages.Set(index, LinkFlags.None, LinkFlags.None, address: address), $"RTM_NEWLINK #{index} address {Format(address)}");

    /// <summary>Renames a link (the kernel refuses while it is up: EBUSY).</summary>
    public void SetName(int index, string name) =>
        _socket.Execute(LinkMessages.Set(index, LinkFlags.None, LinkFlags.None, name: name), $"RTM_NEWLINK #{index} name {name}");

    /// <summary>Creates a veth pair <paramref name="name"/> ↔ <paramref name="peerName"/>, the peer in
    /// <paramref name="peerNamespace"/> when given (as a CNI plugin does). Both ends start down.</summary>
    public void AddVethPair(string name, string peerName, Namespaces.NetworkNamespace? peerNamespace = null) =>
        _socket.Execute(LinkMessages.NewVethPair(name, peerName, peerNamespace?.Descriptor.Value),
            $"RTM_NEWLINK veth {name} peer {peerName}{(peerNamespace is null ? "" : $" in {peerNamespace.Path}")}");

    /// <summary>Deletes a link; false when it did not exist (ENODEV).</summary>
    public bool DeleteLink(int index) => ExecuteUnlessAbsent(LinkMessages.Delete(index), $"RTM_DELLINK #{index}");

    // ---- addresses

    /// <summary>IPv4 and IPv6 addresses, of one link when <paramref name="linkIndex"/> is given.</summary>
    public IReadOnlyList<AddressInfo> ListAddresses(int? linkIndex = null) =>
        _socket.Query(AddressMessages.Dump(), RTM_NEWADDR, m => AddressMessages.Parse(m) is { } a && (linkIndex is null || a.LinkIndex == linkIndex) ? a : null,
            "RTM_GETADDR (dump)");

    /// <summary>Adds an address (EEXIST if present). <paramref name="skipDuplicateDetection"/>: IPv6 IFA_F_NODAD.</summary>
    public void AddAddress(AddressInfo address, bool skipDuplicateDetection = false) =>
        _socket.Execute(AddressMessages.New(address, skipDuplicateDetection), $"RTM_NEWADDR {address}");

    public bool DeleteAddress(AddressInfo address) =>
        ExecuteUnlessAbsent(AddressMessages.Delete(address), $"RTM_DELADDR {address}", Errno.EADDRNOTAVAIL);

    // ---- routes

    /// <summary>Routes of the main table (both families unless one is given), of every protocol including the
    /// kernel's own subnet routes.</summary>
    public IReadOnlyList<RouteInfo> ListRoutes(AddressFamily family = AddressFamily.Unspecified)
    {
        if (family != AddressFamily.Unspecified)
        {
            return _socket.Query(RouteMessages.Dump(family), RTM_NEWROUTE, RouteMessages.Parse, $"RTM_GETROUTE {family} (dump)");
        }
        // One family at a time: an AF_UNSPEC route dump is only as complete as each family's handler makes it.
        var all = new List<RouteInfo>(ListRoutes(AddressFamily.InterNetwork));
        all.AddRange(ListRoutes(AddressFamily.InterNetworkV6));
        return all;
    }

    /// <summary>Adds a route to the main table (EEXIST if an equal one exists).</summary>
    public void AddRoute(RouteInfo route) => _socket.Execute(RouteMessages.New(route), $"RTM_NEWROUTE {route}");

    public bool DeleteRoute(RouteInfo route) => ExecuteUnlessAbsent(RouteMessages.Delete(route), $"RTM_DELROUTE {route}", Errno.ESRCH);

    // ---- neighbours

    /// <summary>ARP and NDP entries, of one link when <paramref name="linkIndex"/> is given.</summary>
    public IReadOnlyList<NeighbourInfo> ListNeighbours(int? linkIndex = null) =>
        _socket.Query(NeighbourMessages.Dump(), RTM_NEWNEIGH, m => NeighbourMessages.Parse(m) is { } n && (linkIndex is null || n.LinkIndex == linkIndex) ? n : null,
            "RTM_GETNEIGH (dump)");

    /// <summary>Creates or replaces a neighbour entry (state None means permanent).</summary>
    public void ReplaceNeighbour(NeighbourInfo neighbour) =>
        _socket.Execute(NeighbourMessages.Replace(neighbour), $"RTM_NEWNEIGH {neighbour.Address} lladdr {Format(neighbour.LinkAddress)} on #{neighbour.LinkIndex}");

    // ---- traffic control

    public IReadOnlyList<QdiscInfo> ListQdiscs(int linkIndex) =>
        _socket.Query(TrafficControlMessages.DumpQdiscs(), RTM_NEWQDISC, m => TrafficControlMessages.ParseQdisc(m) is { } q && q.LinkIndex == linkIndex ? q : null,
            "RTM_GETQDISC (dump)");

    /// <summary>Adds the ingress qdisc (handle ffff:); EEXIST when the link already has one.</summary>
    public void AddIngressQdisc(int linkIndex) =>
        _socket.Execute(TrafficControlMessages.NewIngressQdisc(linkIndex), $"RTM_NEWQDISC ingress on #{linkIndex}");

    /// <summary>Deletes the ingress qdisc and with it every filter on it; false when there was none.</summary>
    public bool DeleteIngressQdisc(int linkIndex)
    {
        if (!ListQdiscs(linkIndex).Any(q => q.IsIngress))
        {
            return false;
        }
        return ExecuteUnlessAbsent(TrafficControlMessages.DeleteIngressQdisc(linkIndex), $"RTM_DELQDISC ingress on #{linkIndex}");
    }

    /// <summary>Filters on the ingress qdisc of a link (empty when it has none).</summary>
    public IReadOnlyList<FilterInfo> ListIngressFilters(int linkIndex)
    {
        try
        {
            return _socket.Query(TrafficControlMessages.DumpIngressFilters(linkIndex), RTM_NEWTFILTER, TrafficControlMessages.ParseFilter,
                $"RTM_GETTFILTER ingress of #{linkIndex} (dump)");
        }
        catch (LinuxException e) when (e.Errno is Errno.EINVAL or Errno.ENOENT)
        {
            return []; // no ingress qdisc: nothing to list
        }
    }

    /// <summary>On <paramref name="linkIndex"/>'s ingress (needs the ingress qdisc): every frame is redirected to
    /// <paramref name="targetIndex"/>'s egress and taken away from the stack (u32 match-all + mirred, STOLEN).</summary>
    public void AddIngressRedirect(int linkIndex, int targetIndex, ushort priority) =>
        _socket.Execute(TrafficControlMessages.NewRedirectFilter(linkIndex, targetIndex, priority),
            $"RTM_NEWTFILTER u32 prio {priority} on ingress of #{linkIndex} → mirred egress redirect to #{targetIndex}");

    /// <summary>Deletes the ingress filter of priority <paramref name="priority"/>; false when there was none.</summary>
    public bool DeleteIngressFilter(int linkIndex, ushort priority)
    {
        if (!ListIngressFilters(linkIndex).Any(f => f.Priority == priority))
        {
            return false;
        }
        return ExecuteUnlessAbsent(TrafficControlMessages.DeleteFilter(linkIndex, priority), $"RTM_DELTFILTER prio {priority} on ingress of #{linkIndex}");
    }

    public void Dispose() => _socket.Dispose();

    private static LinkInfo? FindOrNull(Func<List<LinkInfo>> query)
    {
        try
        {
            return query() is [var link, ..] ? link : null;
        }
        catch (LinuxException e) when (e.Errno == Errno.ENODEV)
        {
            return null;
        }
    }

    /// <summary>Runs a delete; "it is not there" (ENODEV, ENOENT, or the object's own absence errno) is false.</summary>
    private bool ExecuteUnlessAbsent(NetlinkMessageWriter request, string operation, Errno absent = Errno.ENOENT)
    {
        try
        {
            _socket.Execute(request, operation);
            return true;
        }
        catch (LinuxException e) when (e.Errno == absent || e.Errno is Errno.ENODEV or Errno.ENOENT)
        {
            return false;
        }
    }

    private static string Format(PhysicalAddress? address) =>
        address is null ? "none" : string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2")));
}
