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

/// <summary>The legal container state changes (containerd's init_state.go, as a table for <see cref="KataSharp.Lifecycle.StateMachine{TState}"/>).</summary>
public static class ContainerTransitions
{
    public static readonly IReadOnlyDictionary<ContainerState, ContainerState[]> Allowed = new Dictionary<ContainerState, ContainerState[]>
    {
        [ContainerState.Created] = [ContainerState.Running, ContainerState.Stopped],
        [ContainerState.Running] = [ContainerState.Paused, ContainerState.Stopped],
        [ContainerState.Paused] = [ContainerState.Running, ContainerState.Stopped],
        [ContainerState.Stopped] = [],
    };
}
