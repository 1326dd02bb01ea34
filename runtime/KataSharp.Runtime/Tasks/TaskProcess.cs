using KataSharp.Runtime.Io;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Tasks;

/// <summary>
/// One process of a container (its init or an exec): lifecycle, stdio, and its exit, which any
/// number of Wait calls can await before or after it happens. Fields are guarded by the
/// supervisor's state lock.
/// </summary>
public sealed class TaskProcess
{
    private readonly TaskCompletionSource<ExitStatus> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exitPublished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskProcess(ProcessKey key, ProcessStdio stdio, string? execSpecJson)
    {
        Key = key;
        Stdio = stdio;
        ExecSpecJson = execSpecJson;
        Lifecycle = new ProcessLifecycle(key.ToString(), key.IsInit);
    }

    public ProcessKey Key { get; }

    public ProcessStdio Stdio { get; }

    /// <summary>The OCI Process JSON of an exec; null for init (its process is in config.json).</summary>
    public string? ExecSpecJson { get; }

    public ProcessLifecycle Lifecycle { get; }

    public ProcessState State => Lifecycle.State;

    public ProcessIoBridge? Io { get; set; }

    public ExitStatus? Exit { get; private set; }

    /// <summary>Completes with the exit status once the process has exited (and its output is flushed).</summary>
    public Task<ExitStatus> Exited => _exited.Task;

    /// <summary>Completes once TaskExit for this process was queued; init waits on its execs' first.</summary>
    public Task ExitPublished => _exitPublished.Task;

    /// <summary>Records the exit (first one wins) and releases every Wait.</summary>
    public bool MarkExited(ExitStatus exit)
    {
        if (Exit is not null)
        {
            return false;
        }
        if (Lifecycle.CanApply(ProcessEvent.Exit))
        {
            Lifecycle.Apply(ProcessEvent.Exit);
        }
        Exit = exit;
        _exited.TrySetResult(exit);
        return true;
    }

    public void MarkExitPublished() => _exitPublished.TrySetResult();
}
