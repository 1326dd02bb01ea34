using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Network;
using KataSharp.Shim.Backend.Agent;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>The pod interfaces as the agent's pod-network requests (field by field, agent/README.md "Pod network").</summary>
public sealed class GuestNetworkRequestsTests
{
    private static PodInterface Pod(string name, string mac, IReadOnlyList<PodRoute> routes, IReadOnlyList<PodNeighbour>? neighbours = null) => new()
    {
        Name = name,
        Index = 2,
        Tap = null!, // never read by the translation
        TapIndex = 3,
        GuestMac = PhysicalAddress.Parse(mac),
        Mtu = 1450,
        Addresses = [new PodAddress(IPAddress.Parse("10.88.0.5"), 16), new PodAddress(IPAddress.Parse("fd00:88::5"), 64)],
        Routes = routes,
        Neighbours = neighbours ?? [],
    };

    [Fact]
    public void Interface_SelectsByTheVethsMac_AndCarriesItsNameMtuAndAddresses()
    {
        UpdateInterfaceRequest request = GuestNetworkRequests.Interface(Pod("eth0", "0A-58-0A-58-00-05", []));
        Assert.Equal(("0a:58:0a:58:00:05", "eth0", 1450u), (request.Interface.HwAddr, request.Interface.Name, request.Interface.Mtu));
        Assert.Equal(["10.88.0.5/16", "fd00:88::5/64"], request.Interface.Addresses.Select(a => $"{a.Address}/{a.PrefixLength}"));
    }

    [Fact]
    public void Routes_OfEveryInterface_GoInOneRequest_NamingTheGuestInterface()
    {
        PodInterface eth0 = Pod("eth0", "02-00-00-00-00-01",
        [
            new PodRoute(AddressFamily.InterNetwork, null, 0, IPAddress.Parse("10.88.0.1")),
            new PodRoute(AddressFamily.InterNetwork, IPAddress.Parse("10.99.0.0"), 16, null) { Scope = 253, Source = IPAddress.Parse("10.88.0.5"), Metric = 100 },
        ]);
        PodInterface net1 = Pod("net1", "02-00-00-00-00-02", [new PodRoute(AddressFamily.InterNetworkV6, null, 0, null)]);

        Route[] routes = GuestNetworkRequests.Routes([eth0, net1]).Routes.ToArray();

        Assert.Equal(3, routes.Length);
        Assert.Equal(("", "10.88.0.1", "eth0", "", 0u, IpFamily.V4, 0u),
            (routes[0].Dest, routes[0].Gateway, routes[0].Device, routes[0].Source, routes[0].Scope, routes[0].Family, routes[0].Metric));
        Assert.Equal(("10.99.0.0/16", "", "eth0", "10.88.0.5", 253u, IpFamily.V4, 100u),
            (routes[1].Dest, routes[1].Gateway, routes[1].Device, routes[1].Source, routes[1].Scope, routes[1].Family, routes[1].Metric));
        // A default device route: only the family says which one.
        Assert.Equal(("", "", "net1", IpFamily.V6), (routes[2].Dest, routes[2].Gateway, routes[2].Device, routes[2].Family));
    }

    [Fact]
    public void Neighbours_NameTheGuestInterface()
    {
        PodInterface eth0 = Pod("eth0", "02-00-00-00-00-01", [], [new PodNeighbour(IPAddress.Parse("10.88.0.9"), PhysicalAddress.Parse("02-00-00-00-00-09"))]);
        Neighbor neighbour = Assert.Single(GuestNetworkRequests.Neighbours([eth0]).Neighbors);
        Assert.Equal(("10.88.0.9", "02:00:00:00:00:09", "eth0"), (neighbour.Address, neighbour.HwAddr, neighbour.Device));
        Assert.Empty(GuestNetworkRequests.Neighbours([Pod("eth0", "02-00-00-00-00-01", [])]).Neighbors);
    }
}
