using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Google.Protobuf;
using KataSharp.Agent.Protocol;
using KataSharp.Linux.Netlink;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Network;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Tests.Network.Support;
using KataSharp.Shim.Backend;
using Xunit;

namespace KataSharp.Runtime.Tests.Network;

/// <summary>
/// The shim's VM backend wired to a real pod network (root: namespaces, veths, taps, tc) with a fake VM and a fake
/// agent: Boot connects the pod's namespace before the VM exists, hands the VM one interface per veth, sends the
/// guest its interface, routes and neighbours; stopping, a failed boot and a dead VM remove exactly what was added.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class PodNetworkBackendTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new("ks-podnet-backend");
    private readonly StringWriter _logText = new();
    private readonly RuntimeLog _log;
    private FakeAgentServer _agent = null!;
    private FakeGuestVm _vm = null!;
    private IReadOnlyList<PodInterface>? _given;
    private int _vmsStarted;

    public PodNetworkBackendTests() => _log = new RuntimeLog(TextWriter.Synchronized(_logText), debug: true, "sb1");

    public async Task InitializeAsync()
    {
        _agent = await FakeAgentServer.StartAsync(_directory.Combine("agent.sock"));
        _vm = new FakeGuestVm(_agent.SocketPath, _directory.Combine("vsock.sock"));
    }

    public async Task DisposeAsync()
    {
        _vm.Dispose();
        _log.Dispose();
        await _agent.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Boot_connects_the_pod_network_configures_the_guest_and_stop_removes_exactly_what_it_added()
    {
        using var fixture = new PodNetworkFixture();
        LinkInfo eth0 = fixture.Pod.Link("eth0");
        await using VmSandboxBackend backend = Backend();

        await backend.BootAsync(Request(fixture.Pod.Path), CancellationToken.None).WaitAsync(Bound);

        PodInterface pod = Assert.Single(_given!);
        Assert.Equal((eth0.Address, PodNetworkFixture.Mtu, "tap0_kata"), (pod.GuestMac, pod.Mtu, pod.Tap.Name));
        Assert.Equal(pod.TapIndex, fixture.Pod.Link("tap0_kata").Index);
        Assert.Single(fixture.Pod.Netlink.ListIngressFilters(eth0.Index), f => f.RedirectIndex == pod.TapIndex);
        IMessage[] requests = NetworkRequests();
        Assert.Equal(3, requests.Length);
        var update = Assert.IsType<UpdateInterfaceRequest>(requests[0]);
        Assert.Equal((pod.GuestMacText, "eth0", (uint)PodNetworkFixture.Mtu), (update.Interface.HwAddr, update.Interface.Name, update.Interface.Mtu));
        Assert.Equal($"{PodNetworkFixture.PodAddress}/24", $"{Assert.Single(update.Interface.Addresses).Address}/{update.Interface.Addresses[0].PrefixLength}");
        Route route = Assert.Single(Assert.IsType<UpdateRoutesRequest>(requests[1]).Routes);
        Assert.Equal(("", PodNetworkFixture.PeerAddress.ToString(), "eth0"), (route.Dest, route.Gateway, route.Device));
        Neighbor neighbour = Assert.Single(Assert.IsType<AddNeighborsRequest>(requests[2]).Neighbors);
        Assert.Equal((PodNetworkFixture.StaticNeighbour.ToString(), "eth0"), (neighbour.Address, neighbour.Device));

        await backend.StopAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.True(_vm.Disposed);
        AssertNothingLeft(fixture);
        string log = LogText();
        Assert.Matches(" pod_network_attached=tap0_kata runtime=", log);
        Assert.Matches(" pod_network_detached=tap0_kata runtime=", log);
    }

    /// <summary>
    /// CRI port forwarding: once booted, containerd's dial of 127.0.0.1:PORT in the pod's namespace is accepted and carried
    /// to the agent's port-forwarding port (this fake guest's agent does not speak it, so the client is reset); after
    /// stop, the namespace's loopback refuses again (the sk_lookup program is detached with the pod).
    /// </summary>
    [Fact]
    public async Task Boot_carries_loopback_connections_in_the_pod_namespace_to_the_guest_and_stop_ends_it()
    {
        using var fixture = new PodNetworkFixture();
        fixture.Pod.Netlink.SetLinkUp(fixture.Pod.Link("lo").Index, true); // CNI's loopback plugin does this for a pod
        await using VmSandboxBackend backend = Backend();
        await backend.BootAsync(Request(fixture.Pod.Path), CancellationToken.None).WaitAsync(Bound);

        using (Socket client = DialLoopback(fixture, 8080))
        {
            await ConnectionEnd(client).WaitAsync(Bound); // the fake agent never answers "connected": ended, not hung
        }
        Assert.Contains(AgentProtocolConstants.PortForwardPort, _vm.ConnectedPorts);

        await backend.StopAsync(CancellationToken.None).WaitAsync(Bound);

        var refused = Assert.Throws<SocketException>(() => DialLoopback(fixture, 8080));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Contains("port forwarding: connections to 127.0.0.1 in", LogText());
    }

    private static async Task ConnectionEnd(Socket client)
    {
        byte[] buffer = new byte[16];
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private static Socket DialLoopback(PodNetworkFixture fixture, int port) => fixture.Pod.Thread.Invoke(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    });

    [Fact]
    public async Task A_guest_that_refuses_the_interface_fails_boot_naming_the_pod_network_and_nothing_is_left()
    {
        using var fixture = new PodNetworkFixture();
        _agent.Service.FailUpdateInterface = true;
        VmSandboxBackend backend = Backend();

        var e = await Assert.ThrowsAsync<RuntimeException>(() => backend.BootAsync(Request(fixture.Pod.Path), CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains($"the pod network {fixture.Pod.Path} could not be configured in the guest", e.Message);
        Assert.Contains("interface.hw_addr", e.Message);
        Assert.NotNull(fixture.Pod.Netlink.FindLink("tap0_kata")); // until the sandbox releases the failed backend, as SandboxHost does:

        await backend.DisposeAsync();

        Assert.True(_vm.Disposed);
        AssertNothingLeft(fixture);
    }

    [Fact]
    public async Task A_vm_that_cannot_be_created_leaves_no_tap_filter_or_qdisc()
    {
        using var fixture = new PodNetworkFixture();
        var backend = new VmSandboxBackend(_log, (_, interfaces) =>
        {
            _given = interfaces;
            throw new RuntimeException(RuntimeError.Unavailable, "cannot create the sandbox VM: /dev/kvm (fake)");
        });

        await Assert.ThrowsAsync<RuntimeException>(() => backend.BootAsync(Request(fixture.Pod.Path), CancellationToken.None).WaitAsync(Bound));
        Assert.Single(_given!);
        await backend.DisposeAsync();

        AssertNothingLeft(fixture);
    }

    [Fact]
    public async Task A_namespace_that_does_not_exist_fails_boot_naming_it_before_any_vm_exists()
    {
        await using VmSandboxBackend backend = Backend();
        var e = await Assert.ThrowsAsync<RuntimeException>(() => backend.BootAsync(Request("/var/run/netns/ks-test-missing"), CancellationToken.None).WaitAsync(Bound));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains("/var/run/netns/ks-test-missing does not exist", e.Message);
        Assert.Equal(0, _vmsStarted);
    }

    [Fact]
    public async Task A_vm_that_dies_releases_the_pod_network_at_once()
    {
        using var fixture = new PodNetworkFixture();
        await using VmSandboxBackend backend = Backend();
        await backend.BootAsync(Request(fixture.Pod.Path), CancellationToken.None).WaitAsync(Bound);

        _vm.Die();
        await backend.Exited.WaitAsync(Bound);

        AssertNothingLeft(fixture);
    }

    /// <summary>Host network (no path in the spec) and the host's own namespace by path: no device, no requests, as before.</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("/proc/self/ns/net")]
    public async Task Without_a_pod_namespace_the_guest_gets_no_interface_and_no_network_requests(string? path)
    {
        await using VmSandboxBackend backend = Backend();
        await backend.BootAsync(Request(path), CancellationToken.None).WaitAsync(Bound);
        Assert.Empty(_given!);
        Assert.Empty(NetworkRequests());
    }

    private VmSandboxBackend Backend() => new(_log, (_, interfaces) =>
    {
        _given = interfaces;
        _vmsStarted++;
        return _vm;
    });

    private SandboxBootRequest Request(string? networkNamespacePath) => new("sb1", new RuntimeConfiguration(
            new HypervisorSettings("/k", "/i", 1, 256, "", 30, 8),
            new AgentSettings(5, 30, 60, 10, 60),
            new RuntimeSettings(_directory.Combine("layers"), false, 5), "test"),
        _directory.Path, networkNamespacePath);

    private IMessage[] NetworkRequests()
    {
        lock (_agent.Service.NetworkRequests)
        {
            return [.. _agent.Service.NetworkRequests];
        }
    }

    private static void AssertNothingLeft(PodNetworkFixture fixture)
    {
        int eth0 = fixture.Pod.Link("eth0").Index;
        Assert.Null(fixture.Pod.Netlink.FindLink("tap0_kata"));
        Assert.DoesNotContain(fixture.Pod.Netlink.ListQdiscs(eth0), q => q.IsIngress);
        Assert.Empty(fixture.Pod.Netlink.ListIngressFilters(eth0));
        Assert.Equal(["eth0", "lo"], fixture.Pod.Netlink.ListLinks().Select(l => l.Name).Order());
    }

    private string LogText()
    {
        _log.Flush(TimeSpan.FromSeconds(10));
        return _logText.ToString();
    }
}
