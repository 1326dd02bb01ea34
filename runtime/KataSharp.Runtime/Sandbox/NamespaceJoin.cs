namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// "Join namespaces <paramref name="Namespaces"/> of container <paramref name="ContainerId"/>": what CRI's namespace
/// paths into the pod's sandbox become for the guest (<see cref="Oci.PodNamespaces"/>). The agent finds that
/// container's init itself; no path reaches the guest.
/// </summary>
public sealed record NamespaceJoin(string ContainerId, IReadOnlyList<PodNamespace> Namespaces);
