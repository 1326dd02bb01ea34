using KataSharp.Agent.Engine.Oci;
using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Engine.Plans;

/// <summary>
/// A validated container: namespaces, filesystem layout, isolation settings and the init process,
/// flat and free of OCI JSON, so building ks-spawn's records is a straight translation.
/// </summary>
public sealed record ContainerPlan
{
    public required string Id { get; init; }
    public required ProcessPlan Process { get; init; }
    /// <summary>CLONE_NEW* flags of the namespaces the container has, its own and joined ones (what an exec joins).</summary>
    public required NamespaceSet Namespaces { get; init; }
    /// <summary>The part of <see cref="Namespaces"/> joined from another container of the pod rather than made.</summary>
    public NamespaceSet Joined { get; init; }
    /// <summary>The namespaces the container makes itself: the clone flags of its init.</summary>
    public NamespaceSet Owned => Namespaces & ~Joined;
    public string? Hostname { get; init; }
    public IReadOnlyList<MountPlan> Mounts { get; init; } = [];
    public IReadOnlyList<DevicePlan> Devices { get; init; } = [];
    /// <summary>The spec's devices cgroup allows every device (a privileged container: ctr --privileged, CRI's privileged).</summary>
    public bool AllDevicesAllowed { get; init; }
    public IReadOnlyList<(string Target, string Link)> Symlinks { get; init; } = [];
    public IReadOnlyList<string> MaskedPaths { get; init; } = [];
    public IReadOnlyList<string> ReadonlyPaths { get; init; } = [];
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } = new Dictionary<string, string>();
    public bool RootReadonly { get; init; }
    public MountFlags RootPropagation { get; init; } = MountFlags.Slave | MountFlags.Recursive;
    /// <summary>Compiled seccomp BPF (struct sock_filter[]), or null without a profile.</summary>
    public byte[]? Seccomp { get; init; }
    public OciResources? Resources { get; init; }
}
