using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Sandbox;
using NamespaceJoin = KataSharp.Runtime.Sandbox.NamespaceJoin;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>A pod container's <see cref="NamespaceJoin"/> as CreateContainerRequest.join_namespaces (translated at the edge).</summary>
public static class GuestNamespaceJoin
{
    public static KataSharp.Agent.Protocol.NamespaceJoin? ToProtocol(NamespaceJoin? join)
    {
        if (join is null)
        {
            return null;
        }
        var request = new KataSharp.Agent.Protocol.NamespaceJoin { ContainerId = join.ContainerId };
        request.NamespaceTypes.Add(join.Namespaces.Select(ns => ns switch
        {
            PodNamespace.Ipc => SharedNamespace.Ipc,
            PodNamespace.Uts => SharedNamespace.Uts,
            PodNamespace.Pid => SharedNamespace.Pid,
            _ => throw new ArgumentOutOfRangeException(nameof(join), ns, "not a pod namespace"),
        }));
        return request;
    }
}
