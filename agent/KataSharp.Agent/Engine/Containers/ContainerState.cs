namespace KataSharp.Agent.Engine.Containers;

/// <summary>Lifecycle of a container in the agent.</summary>
public enum ContainerState
{
    /// <summary>Namespaces, root filesystem and cgroup ready; init waits before execve.</summary>
    Created,
    Running,
    /// <summary>Every process frozen (cgroup.freeze).</summary>
    Paused,
    /// <summary>Init has exited; the container can only be removed.</summary>
    Stopped,
}

/// <summary>The legal container state changes (containerd's init_state.go, as a table).</summary>
public static class ContainerTransitions
{
    private static readonly HashSet<(ContainerState, ContainerState)> Allowed =
    [
        (ContainerState.Created, ContainerState.Running),
        (ContainerState.Created, ContainerState.Stopped),
        (ContainerState.Running, ContainerState.Paused),
        (ContainerState.Running, ContainerState.Stopped),
        (ContainerState.Paused, ContainerState.Running),
        (ContainerState.Paused, ContainerState.Stopped),
    ];

    public static bool IsAllowed(ContainerState from, ContainerState to) => Allowed.Contains((from, to));
}
