using System.Net;
using System.Net.NetworkInformation;
using Grpc.Core;
using KataSharp.Agent.Protocol;
using KataSharp.Linux.Netlink;
using Xunit;

namespace KataSharp.Agent.Tests.Network;

/// <summary>
/// UpdateInterface / UpdateRoutes / AddNeighbors through gRPC against the real agent (set KATASHARP_AGENT to run
/// them against the NativeAOT build), which runs in its own network namespace; results are read back with
/// rtnetlink, and bad requests must fail with INVALID_ARGUMENT naming the field.
/// </summary>
public sealed class NetworkApiTests(NetworkAgent fixture) : IClassFixture<NetworkAgent>
{
    private AgentService.AgentServiceClient Client => fixture.Agent.Client;

    [Fact]
    public async Task The_pod_interface_routes_and_neighbours_are_configured_from_the_hosts_description()
    {
        string mac = $"02:42:0a:c8:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}";
        string device = $"vn{Guid.NewGuid():N}"[..10];
        fixture.Netlink.AddVethPair(device, device + "p");
        fixture.Netlink.SetMacAddress(fixture.Netlink.FindLink(device)!.Index, PhysicalAddress.Parse(mac.Replace(':', '-')));
        fixture.Netlink.SetLinkUp(fixture.Netlink.FindLink(device + "p")!.Index, true);
        string name = $"pod{Guid.NewGuid():N}"[..10];

        UpdateInterfaceResponse updated = await Client.UpdateInterfaceAsync(new UpdateInterfaceRequest
        {
            Interface = new Interface
            {
                HwAddr = mac, Name = name, Mtu = 1450,
                Addresses = { new IpAddress { Address = "10.201.0.2", PrefixLength = 24 }, new IpAddress { Address = "fd01::2", PrefixLength = 64 } },
            },
        });
        await Client.UpdateRoutesAsync(new UpdateRoutesRequest
        {
            Routes =
            {
                new Route { Gateway = "10.201.0.1", Device = name },
                new Route { Dest = "10.202.0.0/16", Device = name, Scope = 253 },
                new Route { Gateway = "fd01::1", Device = name },
            },
        });
        await Client.AddNeighborsAsync(new AddNeighborsRequest { Neighbors = { new Neighbor { Address = "10.201.0.9", HwAddr = "02:00:00:00:00:09", Device = name } } });

        Assert.Equal(name, updated.Name);
        LinkInfo link = fixture.Netlink.FindLink(name)!;
        Assert.Equal((1450, true), (link.Mtu, link.IsUp));
        Assert.Contains(fixture.Netlink.ListAddresses(link.Index), a => a.Address.Equals(IPAddress.Parse("10.201.0.2")) && a.PrefixLength == 24);
        Assert.Contains(fixture.Netlink.ListAddresses(link.Index), a => a.Address.Equals(IPAddress.Parse("fd01::2")) && a.PrefixLength == 64);
        IReadOnlyList<RouteInfo> routes = fixture.Netlink.ListRoutes();
        Assert.Contains(routes, r => r.IsDefault && r.OutputIndex == link.Index && Equals(r.Gateway, IPAddress.Parse("10.201.0.1")));
        Assert.Contains(routes, r => r.IsDefault && r.OutputIndex == link.Index && Equals(r.Gateway, IPAddress.Parse("fd01::1")));
        Assert.Contains(routes, r => Equals(r.Destination, IPAddress.Parse("10.202.0.0")) && r.Scope == RouteScope.Link);
        Assert.Contains(fixture.Netlink.ListNeighbours(link.Index), n => n.Address.Equals(IPAddress.Parse("10.201.0.9")) && n.State == NeighbourState.Permanent);
        fixture.Netlink.DeleteLink(link.Index);
    }

    [Fact]
    public async Task An_unknown_MAC_is_NOT_FOUND()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.UpdateInterfaceAsync(new UpdateInterfaceRequest
        {
            Interface = new Interface { HwAddr = "02:ff:ff:ff:ff:01", Mtu = 1500 },
        }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, e.StatusCode);
        Assert.Contains("no guest interface has MAC 02:ff:ff:ff:ff:01", e.Status.Detail);
    }

    public static TheoryData<string, string> BadInterfaces => new()
    {
        { "{}", "interface" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8\", \"mtu\": 1500 } }", "interface.hw_addr" },
        { "{ \"interface\": { \"hwAddr\": \"01:00:5e:00:00:01\", \"mtu\": 1500 } }", "interface.hw_addr" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8:00:02\", \"mtu\": 40 } }", "interface.mtu" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8:00:02\", \"mtu\": 1500, \"name\": \"a/b\" } }", "interface.name" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8:00:02\", \"mtu\": 1500, \"name\": \"sixteen-chars-xx\" } }", "interface.name" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8:00:02\", \"mtu\": 1500, \"addresses\": [ { \"address\": \"10.0.0\", \"prefixLength\": 8 } ] } }", "interface.addresses[0].address" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8:00:02\", \"mtu\": 1500, \"addresses\": [ { \"address\": \"224.0.0.1\", \"prefixLength\": 8 } ] } }", "interface.addresses[0].address" },
        { "{ \"interface\": { \"hwAddr\": \"02:42:0a:c8:00:02\", \"mtu\": 1500, \"addresses\": [ { \"address\": \"10.0.0.2\", \"prefixLength\": 33 } ] } }", "interface.addresses[0].prefix_length" },
    };

    [Theory]
    [MemberData(nameof(BadInterfaces))]
    public async Task A_bad_interface_is_INVALID_ARGUMENT_naming_the_field(string json, string field)
    {
        var request = UpdateInterfaceRequest.Parser.ParseJson(json);
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.UpdateInterfaceAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, e.Trailers.GetValue(AgentProtocolConstants.ErrorFieldTrailer));
        Assert.StartsWith(field + ":", e.Status.Detail);
    }

    public static TheoryData<string, string> BadRoutes => new()
    {
        { "{ \"dest\": \"10.1.0.5/16\", \"device\": \"eth0\" }", "routes[0].dest" },
        { "{ \"dest\": \"10.1.0.0\", \"device\": \"eth0\" }", "routes[0].dest" },
        { "{ \"gateway\": \"fd00::1\", \"family\": \"IP_FAMILY_V4\", \"device\": \"eth0\" }", "routes[0].gateway" },
        { "{ \"dest\": \"10.1.0.0/16\", \"gateway\": \"fd00::1\", \"device\": \"eth0\" }", "routes[0].gateway" },
        { "{ \"device\": \"eth0\" }", "routes[0].family" },
        { "{ \"gateway\": \"10.0.0.1\", \"device\": \"\" }", "routes[0].device" },
        { "{ \"gateway\": \"10.0.0.1\", \"device\": \"eth0\", \"scope\": 253 }", "routes[0].scope" },
        { "{ \"dest\": \"10.1.0.0/16\", \"device\": \"eth0\", \"scope\": 7 }", "routes[0].scope" },
        { "{ \"gateway\": \"10.0.0.1\", \"device\": \"eth0\", \"metric\": 4294967295 }", "routes[0].metric" },
    };

    [Theory]
    [MemberData(nameof(BadRoutes))]
    public async Task A_bad_route_is_INVALID_ARGUMENT_naming_the_field(string routeJson, string field)
    {
        var request = new UpdateRoutesRequest { Routes = { Route.Parser.ParseJson(routeJson) } };
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.UpdateRoutesAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, e.Trailers.GetValue(AgentProtocolConstants.ErrorFieldTrailer));
    }

    [Fact]
    public async Task A_bad_neighbour_is_INVALID_ARGUMENT_naming_the_field()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.AddNeighborsAsync(new AddNeighborsRequest
        {
            Neighbors = { new Neighbor { Address = "10.0.0.9", HwAddr = "zz:00:00:00:00:09", Device = "eth0" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("neighbors[0].hw_addr", e.Trailers.GetValue(AgentProtocolConstants.ErrorFieldTrailer));
    }

    [Fact]
    public async Task Too_many_routes_are_refused_before_anything_changes()
    {
        var request = new UpdateRoutesRequest();
        for (int i = 0; i < 257; i++)
        {
            request.Routes.Add(new Route { Gateway = "10.0.0.1", Device = "eth0" });
        }
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.UpdateRoutesAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("routes", e.Trailers.GetValue(AgentProtocolConstants.ErrorFieldTrailer));
    }
}
