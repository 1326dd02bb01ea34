using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Linux;
using KataSharp.Linux.Netlink;
using KataSharp.Runtime.Tests.Network.Support;
using KataSharp.Tests.Shared.Network;
using Xunit;

namespace KataSharp.Runtime.Tests.Network;

/// <summary>KataSharp.Linux's rtnetlink against the real kernel, in private network namespaces (root).</summary>
[Collection(NetworkCollection.Name)]
public sealed class RouteNetlinkTests
{
    [Fact]
    public void A_fresh_namespace_lists_only_loopback()
    {
        using var ns = new ScratchNamespace();
        LinkInfo lo = Assert.Single(ns.Netlink.ListLinks());
        Assert.Equal("lo", lo.Name);
        Assert.True(lo.IsLoopback);
        Assert.Null(lo.Kind);
        Assert.Equal(65536, lo.Mtu);
        Assert.Null(ns.Netlink.FindLink("eth0"));
    }

    [Fact]
    public void Links_are_created_listed_changed_and_deleted()
    {
        using var ns = new ScratchNamespace();
        ns.Netlink.AddVethPair("a0", "b0");
        LinkInfo a0 = ns.Link("a0");
        LinkInfo b0 = ns.Link("b0");
        Assert.Equal("veth", a0.Kind);
        Assert.Equal(b0.Index, a0.PeerIndex);
        Assert.False(a0.IsUp);

        var mac = PhysicalAddress.Parse("02-11-22-33-44-55");
        ns.Netlink.SetMtu(a0.Index, 1280);
        ns.Netlink.SetMacAddress(a0.Index, mac);
        ns.Netlink.SetName(a0.Index, "renamed0");
        ns.Netlink.SetLinkUp(a0.Index, true);

        LinkInfo changed = Assert.Single(ns.Netlink.ListLinks(), l => l.Index == a0.Index);
        Assert.Equal(("renamed0", 1280, mac), (changed.Name, changed.Mtu, changed.Address));
        Assert.True(changed.IsUp);
        Assert.Equal(changed, ns.Netlink.FindLink(a0.Index));

        Assert.True(ns.Netlink.DeleteLink(changed.Index));
        Assert.False(ns.Netlink.DeleteLink(changed.Index)); // the pair went together
        Assert.Null(ns.Netlink.FindLink("b0"));
    }

    [Fact]
    public void Addresses_routes_and_neighbours_round_trip_in_both_families()
    {
        using var ns = new ScratchNamespace();
        ns.Netlink.AddVethPair("a0", "b0");
        int a0 = ns.Link("a0").Index;
        ns.Netlink.SetLinkUp(a0, true);
        ns.Netlink.SetLinkUp(ns.Link("b0").Index, true);
        var v4 = new AddressInfo(a0, IPAddress.Parse("192.0.2.10"), 24);
        var v6 = new AddressInfo(a0, IPAddress.Parse("2001:db8::10"), 64);
        ns.Netlink.AddAddress(v4);
        ns.Netlink.AddAddress(v6, skipDuplicateDetection: true);
        IReadOnlyList<AddressInfo> addresses = ns.Netlink.ListAddresses(a0);
        Assert.Contains(addresses, a => a.Address.Equals(v4.Address) && a.PrefixLength == 24);
        Assert.Contains(addresses, a => a.Address.Equals(v6.Address) && a.PrefixLength == 64);

        var defaultV4 = new RouteInfo(AddressFamily.InterNetwork, null, 0, IPAddress.Parse("192.0.2.1"), a0) { Metric = 100 };
        var hostV4 = new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("198.51.100.0"), 24, null, a0) { Scope = RouteScope.Link };
        var defaultV6 = new RouteInfo(AddressFamily.InterNetworkV6, null, 0, IPAddress.Parse("2001:db8::1"), a0);
        ns.Netlink.AddRoute(hostV4);
        ns.Netlink.AddRoute(defaultV4);
        ns.Netlink.AddRoute(defaultV6);
        IReadOnlyList<RouteInfo> routes = ns.Netlink.ListRoutes();
        Assert.Contains(routes, r => r.IsDefault && r.Family == AddressFamily.InterNetwork && Equals(r.Gateway, defaultV4.Gateway) && r.Metric == 100 && r.Protocol == RouteProtocol.Boot);
        Assert.Contains(routes, r => Equals(r.Destination, hostV4.Destination) && r.DestinationPrefix == 24 && r.Scope == RouteScope.Link && r.Gateway is null);
        Assert.Contains(routes, r => r.IsDefault && r.Family == AddressFamily.InterNetworkV6 && Equals(r.Gateway, defaultV6.Gateway));
        Assert.Contains(routes, r => r.Protocol == RouteProtocol.Kernel && Equals(r.Destination, IPAddress.Parse("192.0.2.0")));

        var neighbour = new NeighbourInfo(a0, IPAddress.Parse("192.0.2.7"), PhysicalAddress.Parse("02-00-00-00-00-07"), NeighbourState.Permanent);
        ns.Netlink.ReplaceNeighbour(neighbour);
        ns.Netlink.ReplaceNeighbour(neighbour); // replace: no EEXIST
        Assert.Contains(ns.Netlink.ListNeighbours(a0), n => n == neighbour);

        Assert.True(ns.Netlink.DeleteRoute(defaultV4));
        Assert.False(ns.Netlink.DeleteRoute(defaultV4));
        Assert.True(ns.Netlink.DeleteAddress(v4));
        Assert.False(ns.Netlink.DeleteAddress(v4));
        Assert.DoesNotContain(ns.Netlink.ListAddresses(a0), a => a.Address.Equals(v4.Address));
    }

    [Fact]
    public void Ingress_qdisc_and_redirect_filter_are_added_listed_and_deleted()
    {
        using var ns = new ScratchNamespace();
        ns.Netlink.AddVethPair("a0", "b0");
        int a0 = ns.Link("a0").Index;
        int b0 = ns.Link("b0").Index;

        Assert.Empty(ns.Netlink.ListIngressFilters(a0));
        ns.Netlink.AddIngressQdisc(a0);
        Assert.Contains(ns.Netlink.ListQdiscs(a0), q => q.IsIngress && q.Handle == TrafficControl.IngressHandle);
        ns.Netlink.AddIngressRedirect(a0, b0, priority: 7);

        IReadOnlyList<FilterInfo> filters = ns.Netlink.ListIngressFilters(a0);
        Assert.All(filters, f => Assert.Equal(("u32", (ushort)7, TrafficControl.AllProtocols), (f.Kind, f.Priority, f.Protocol)));
        Assert.Equal(b0, Assert.Single(filters, f => f.RedirectIndex is not null).RedirectIndex);

        Assert.True(ns.Netlink.DeleteIngressFilter(a0, 7));
        Assert.Empty(ns.Netlink.ListIngressFilters(a0));
        Assert.False(ns.Netlink.DeleteIngressFilter(a0, 7));
        Assert.True(ns.Netlink.DeleteIngressQdisc(a0));
        Assert.DoesNotContain(ns.Netlink.ListQdiscs(a0), q => q.IsIngress);
        Assert.False(ns.Netlink.DeleteIngressQdisc(a0));
    }

    [Fact]
    public void Kernel_errors_carry_errno_the_operation_and_the_kernels_text()
    {
        using var ns = new ScratchNamespace();
        ns.Netlink.AddVethPair("a0", "b0");
        int a0 = ns.Link("a0").Index;
        ns.Netlink.AddIngressQdisc(a0);

        LinuxException twice = Assert.Throws<LinuxException>(() => ns.Netlink.AddIngressQdisc(a0));
        Assert.Equal(Errno.EEXIST, twice.Errno);
        Assert.Contains($"RTM_NEWQDISC ingress on #{a0}", twice.Message);
        Assert.Contains("Exclusivity flag on", twice.Message); // the kernel's extended ack

        LinuxException missing = Assert.Throws<LinuxException>(() => ns.Netlink.AddAddress(new AddressInfo(9999, IPAddress.Parse("192.0.2.1"), 24)));
        Assert.Equal(Errno.ENODEV, missing.Errno);
        Assert.Contains("RTM_NEWADDR 192.0.2.1/24 on ifindex 9999", missing.Message);

        LinuxException taken = Assert.Throws<LinuxException>(() => ns.Netlink.SetName(a0, "b0"));
        Assert.Equal(Errno.EEXIST, taken.Errno);
        Assert.Contains($"RTM_NEWLINK #{a0} name b0", taken.Message);
    }
}
