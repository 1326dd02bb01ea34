namespace KataSharp.Agent.Engine.Processes;

/// <summary>Lifecycle of one process (a container's init or an exec).</summary>
public enum ProcessState
{
    /// <summary>Set up by ks-spawn, waiting before execve for the start signal (init only).</summary>
    Created,
    Running,
    /// <summary>Exited and reaped; the exit status is known.</summary>
    Stopped,
}

/// <summary>The legal <see cref="ProcessState"/> changes, as a table for <see cref="KataSharp.Lifecycle.StateMachine{TState}"/>; anything else is a bug or a bad request.</summary>
public static class ProcessTransitions
{
    public static readonly IReadOnlyDictionary<ProcessState, ProcessState[]> Allowed = new Dictionary<ProcessState, ProcessState[]>
    {
        [ProcessState.Created] = [ProcessState.Running, ProcessState.Stopped], // Stopped: killed or failed before start
        [ProcessState.Running] = [ProcessState.Stopped],
        [ProcessState.Stopped] = [],
    };
}
