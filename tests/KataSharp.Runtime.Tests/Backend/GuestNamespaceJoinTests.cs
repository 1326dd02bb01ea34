using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Sandbox;
using KataSharp.Shim.Backend.Agent;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>The pod namespace join as the agent receives it (CreateContainerRequest.join_namespaces).</summary>
public class GuestNamespaceJoinTests
{
    [Fact]
    public void AJoin_NamesTheContainerAndEachType()
    {
        var request = GuestNamespaceJoinTranslation([PodNamespace.Ipc, PodNamespace.Uts, PodNamespace.Pid]);
        Assert.Equal("sandbox-1", request.ContainerId);
        Assert.Equal([SharedNamespace.Ipc, SharedNamespace.Uts, SharedNamespace.Pid], request.NamespaceTypes);
    }

    [Fact]
    public void NoJoin_SendsNone()
    {
        Assert.Null(GuestNamespaceJoin.ToProtocol(null));
    }

    private static KataSharp.Agent.Protocol.NamespaceJoin GuestNamespaceJoinTranslation(PodNamespace[] namespaces) =>
        GuestNamespaceJoin.ToProtocol(new KataSharp.Runtime.Sandbox.NamespaceJoin("sandbox-1", namespaces))!;
}
