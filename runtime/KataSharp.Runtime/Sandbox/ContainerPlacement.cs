namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// What a container being created tells the sandbox about the VM it needs: the pod's total resources, cgroup
/// and network namespace (meaningful on the pod's first container, which boots the VM: for a CRI pod its sandbox
/// container) and its own memory limit.
/// </summary>
/// <param name="NetworkNamespacePath">The spec's network namespace path (<see cref="Oci.OciBundle.NetworkNamespacePath"/>):
/// the pod network the VM is connected to when this container boots it; null for none (loopback only in the guest).</param>
public sealed record ContainerPlacement(string ContainerId, PodResources Pod, string? CgroupsPath, long? MemoryLimitBytes, string? NetworkNamespacePath = null);
