namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// What a container being created tells the sandbox about the VM it needs: the pod's total resources and
/// cgroup (meaningful on the pod's first container, which boots the VM) and its own memory limit.
/// </summary>
public sealed record ContainerPlacement(string ContainerId, PodResources Pod, string? CgroupsPath, long? MemoryLimitBytes);
