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

/// <summary>The legal <see cref="ProcessState"/> changes; anything else is a bug or a bad request.</summary>
public static class ProcessTransitions
{
    public static bool IsAllowed(ProcessState from, ProcessState to) => (from, to) switch
    {
        (ProcessState.Created, ProcessState.Running) => true,
        (ProcessState.Created, ProcessState.Stopped) => true, // killed or failed before start
        (ProcessState.Running, ProcessState.Stopped) => true,
        _ => false,
    };
}
