using KataSharp.Agent.Engine.Plans;

namespace KataSharp.Agent.Engine.Containers;

/// <summary>
/// "Join namespace types <paramref name="Types"/> of container <paramref name="ContainerId"/>": how a pod's app
/// container shares the sandbox container's ipc, uts (and pid) namespaces. The caller names a container, never a
/// path: the engine finds that container's init itself and joins its /proc/&lt;pid&gt;/ns entries.
/// </summary>
public sealed record NamespaceJoinRequest(string ContainerId, NamespaceSet Types)
{
    /// <summary>The namespace types a container may share with another: what a pod shares (the network namespace is the guest's anyway).</summary>
    public const NamespaceSet Joinable = NamespaceSet.Ipc | NamespaceSet.Uts | NamespaceSet.Pid;
}
