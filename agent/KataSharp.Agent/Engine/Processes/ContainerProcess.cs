using KataSharp.Agent.Engine.Spawning;
using KataSharp.Agent.Errors;
using KataSharp.Lifecycle;
using KataSharp.Linux.Processes;

namespace KataSharp.Agent.Engine.Processes;

/// <summary>
/// One process of a container (init: exec id ""), its state machine, its stdio and its exit.
/// State changes go through <see cref="MoveTo"/>; the exit moves it to Stopped from wherever it is.
/// </summary>
public sealed class ContainerProcess : IDisposable
{
    private readonly object _lock = new();
    private readonly SpawnedProcess _spawned;

    public ContainerProcess(string execId, SpawnedProcess spawned, ProcessStdio stdio, bool started)
    {
        ExecId = execId;
        _spawned = spawned;
        Stdio = stdio;
        _machine = new StateMachine<ProcessState>($"process '{execId}'", started ? ProcessState.Running : ProcessState.Created, ProcessTransitions.Allowed);
        Exited = WatchExitAsync();
    }

    public string ExecId { get; }

    public int Pid => _spawned.Pid;

    public ProcessStdio Stdio { get; }

    private readonly StateMachine<ProcessState> _machine;

    public ProcessState State => _machine.Current;

    /// <summary>The reaped exit; completes once, after the state has become Stopped.</summary>
    public Task<ProcessExit> Exited { get; }

    public ProcessExit? ExitIfStopped => Exited.IsCompletedSuccessfully ? Exited.Result : null;

    /// <summary>Create mode: lets the process execve; Created → Running.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (State != ProcessState.Created)
            {
                throw AgentException.FailedPrecondition($"process '{ExecId}' cannot start: it is {State}");
            }
        }
        await _spawned.StartAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            // The exit watcher may already have moved it to Stopped (a program that ends at once).
            if (State == ProcessState.Created)
            {
                MoveTo(ProcessState.Running);
            }
        }
    }

    private void MoveTo(ProcessState next)
    {
        if (!_machine.TryMove(next, out ProcessState previous))
        {
            throw AgentException.FailedPrecondition($"process '{ExecId}' cannot go from {previous} to {next}");
        }
    }

    private async Task<ProcessExit> WatchExitAsync()
    {
        ChildStatus status = await _spawned.Exit.ConfigureAwait(false);
        var exit = new ProcessExit(status.ExitCode, status.Signal, DateTimeOffset.UtcNow);
        lock (_lock)
        {
            MoveTo(ProcessState.Stopped);
        }
        return exit;
    }

    public void Dispose()
    {
        _spawned.Dispose();
        Stdio.Dispose();
    }
}
