using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Network;
using KataSharp.Linux.Netlink;
using KataSharp.Tests.Shared.Network;
using Xunit;

namespace KataSharp.Agent.Tests.Network;

/// <summary>
/// The agent's pod-network configuration against the real kernel in a private network namespace (root). A veth
/// stands in for the guest's virtio-net interface (same netlink operations; this host kernel has no dummy).
/// </summary>
public sealed class GuestNetworkTests : IDisposable
{
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-42-0a-c8-00-02");
    private readonly ScratchNamespace _ns = new();
    private readonly GuestNetwork _network;

    public GuestNetworkTests()
    {
        _network = new GuestNetwork(() => _ns.Thread.Invoke(() => RouteNetlink.Open()));
        _ns.Netlink.AddVethPair("vnet0", "vpeer0");
        _ns.Netlink.SetMacAddress(_ns.Link("vnet0").Index, Mac);
        _ns.Netlink.SetLinkUp(_ns.Link("vpeer0").Index, true);
        // Something to be replaced: an old address and the link up, as a second UpdateInterface would find it.
        _ns.Netlink.AddAddress(new AddressInfo(_ns.Link("vnet0").Index, IPAddress.Parse("192.0.2.99"), 24));
        _ns.Netlink.SetLinkUp(_ns.Link("vnet0").Index, true);
    }

    public void Dispose()
    {
        _network.Dispose();
        _ns.Dispose();
    }

    [Fact]
    public void UpdateInterface_finds_the_interface_by_MAC_and_gives_it_name_MTU_and_exactly_the_addresses()
    {
        string name = _network.UpdateInterface(new GuestInterface(Mac, "eth0", 1400,
            [new GuestAddress(IPAddress.Parse("10.200.0.2"), 24), new GuestAddress(IPAddress.Parse("fd00::2"), 64)]));

        Assert.Equal("eth0", name);
        LinkInfo eth0 = _ns.Link("eth0");
        Assert.Equal((Mac, 1400, true), (eth0.Address, eth0.Mtu, eth0.IsUp));
        string[] addresses = _ns.Netlink.ListAddresses(eth0.Index).Where(a => !a.IsIPv6LinkLocal).Select(a => a.ToString()).Order().ToArray();
        Assert.Equal([$"10.200.0.2/24 on ifindex {eth0.Index}", $"fd00::2/64 on ifindex {eth0.Index}"], addresses);
        Assert.Null(_ns.Netlink.FindLink("vnet0"));
    }

    [Fact]
    public void UpdateInterface_swaps_names_with_an_interface_that_has_the_wanted_one()
    {
        _ns.Netlink.AddVethPair("eth0", "other0");
        int holder = _ns.Link("eth0").Index;

        _network.UpdateInterface(new GuestInterface(Mac, "eth0", 1500, []));

        Assert.Equal(Mac, _ns.Link("eth0").Address);
        Assert.Equal("vnet0", _ns.Netlink.FindLink(holder)!.Name);
    }

    [Fact]
    public void UpdateInterface_with_an_unknown_MAC_is_not_found_and_lists_the_interfaces()
    {
        var e = Assert.Throws<AgentException>(() => _network.UpdateInterface(new GuestInterface(PhysicalAddress.Parse("02-00-00-00-00-01"), "eth0", 1500, [])));
        Assert.Equal(AgentErrorCode.NotFound, e.Code);
        Assert.Contains("no guest interface has MAC 02:00:00:00:00:01", e.Message);
        Assert.Contains("vnet0 02:42:0a:c8:00:02", e.Message);
    }

    [Fact]
    public void UpdateRoutes_replaces_the_routes_connected_ones_first_and_keeps_the_kernels()
    {
        _network.UpdateInterface(new GuestInterface(Mac, "eth0", 1500,
            [new GuestAddress(IPAddress.Parse("10.200.0.2"), 24), new GuestAddress(IPAddress.Parse("fd00::2"), 64)]));
        int eth0 = _ns.Link("eth0").Index;
        var stale = new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("172.16.0.0"), 16, IPAddress.Parse("10.200.0.254"), eth0);
        _ns.Netlink.AddRoute(stale);

        // The gateway 10.9.0.1 is reachable only through the link route listed after it: order matters.
        GuestRoute[] routes =
        [
            new(AddressFamily.InterNetwork, null, 0, IPAddress.Parse("10.200.0.1"), "eth0") { Metric = 10 },
            new(AddressFamily.InterNetwork, IPAddress.Parse("10.1.0.0"), 16, IPAddress.Parse("10.9.0.1"), "eth0"),
            new(AddressFamily.InterNetwork, IPAddress.Parse("10.9.0.0"), 24, null, "eth0") { Scope = (byte)RouteScope.Link },
            new(AddressFamily.InterNetworkV6, null, 0, IPAddress.Parse("fd00::1"), "eth0"),
        ];
        _network.UpdateRoutes(routes);
        _network.UpdateRoutes(routes); // again: the same result, no EEXIST

        IReadOnlyList<RouteInfo> now = _ns.Netlink.ListRoutes();
        Assert.DoesNotContain(now, r => Equals(r.Destination, stale.Destination));
        Assert.Contains(now, r => r.IsDefault && Equals(r.Gateway, IPAddress.Parse("10.200.0.1")) && r.Metric == 10);
        Assert.Contains(now, r => Equals(r.Destination, IPAddress.Parse("10.1.0.0")) && Equals(r.Gateway, IPAddress.Parse("10.9.0.1")));
        Assert.Contains(now, r => Equals(r.Destination, IPAddress.Parse("10.9.0.0")) && r.Scope == RouteScope.Link);
        Assert.Contains(now, r => r.IsDefault && r.Family == AddressFamily.InterNetworkV6 && Equals(r.Gateway, IPAddress.Parse("fd00::1")));
        Assert.Contains(now, r => r.Protocol == RouteProtocol.Kernel && Equals(r.Destination, IPAddress.Parse("10.200.0.0")));
        Assert.Equal(routes.Length, now.Count(r => r.Protocol != RouteProtocol.Kernel));
    }

    [Fact]
    public void UpdateRoutes_with_an_unknown_device_changes_nothing()
    {
        int vnet0 = _ns.Link("vnet0").Index;
        var existing = new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("172.16.0.0"), 16, null, vnet0) { Scope = RouteScope.Link };
        _ns.Netlink.AddRoute(existing);

        var e = Assert.Throws<AgentException>(() => _network.UpdateRoutes([new GuestRoute(AddressFamily.InterNetwork, null, 0, IPAddress.Parse("192.0.2.1"), "nope0")]));
        Assert.Equal(AgentErrorCode.NotFound, e.Code);
        Assert.Contains("routes[0].device: no guest interface is named 'nope0'", e.Message);
        Assert.Contains(_ns.Netlink.ListRoutes(), r => Equals(r.Destination, existing.Destination));
    }

    [Fact]
    public void AddNeighbours_installs_permanent_entries()
    {
        _network.UpdateInterface(new GuestInterface(Mac, "eth0", 1500, [new GuestAddress(IPAddress.Parse("10.200.0.2"), 24)]));
        var mac = PhysicalAddress.Parse("02-00-00-00-00-09");
        _network.AddNeighbours([new GuestNeighbour(IPAddress.Parse("10.200.0.9"), mac, "eth0")]);
        _network.AddNeighbours([new GuestNeighbour(IPAddress.Parse("10.200.0.9"), mac, "eth0")]);

        NeighbourInfo entry = Assert.Single(_ns.Netlink.ListNeighbours(_ns.Link("eth0").Index), n => n.Address.Equals(IPAddress.Parse("10.200.0.9")));
        Assert.Equal((mac, NeighbourState.Permanent), (entry.LinkAddress, entry.State));
    }
}
