using KataSharp.Agent.Tests.Support;
using KataSharp.Linux.Namespaces;
using KataSharp.Linux.Netlink;
using Xunit;

namespace KataSharp.Agent.Tests.Network;

/// <summary>The real agent in its own network namespace, and rtnetlink into that namespace for the test to set up
/// the "virtio-net" interface (a veth) and to check what the agent did.</summary>
public sealed class NetworkAgent : IAsyncLifetime
{
    public AgentProcess Agent { get; } = new(ownNetwork: true);

    public NetworkNamespace Namespace { get; private set; } = null!;

    public NetworkNamespaceThread Thread { get; private set; } = null!;

    public RouteNetlink Netlink { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Agent.InitializeAsync();
        Namespace = NetworkNamespace.Open($"/proc/{Agent.Pid}/ns/net");
        Thread = NetworkNamespaceThread.Start(Namespace, "agent-netns");
        Netlink = Thread.Invoke(() => RouteNetlink.Open());
    }

    public async Task DisposeAsync()
    {
        Netlink?.Dispose();
        Thread?.Dispose();
        Namespace?.Dispose();
        await Agent.DisposeAsync();
    }
}
