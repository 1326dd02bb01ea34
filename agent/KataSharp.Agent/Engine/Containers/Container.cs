using KataSharp.Agent.Engine.Cgroups;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Engine.Rootfs;
using KataSharp.Agent.Errors;
using KataSharp.Lifecycle;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Engine.Containers;

/// <summary>
/// One container: its plan, root filesystem, cgroup, init process and exec processes, and its
/// state machine (KataSharp's one idiom, with the previous state kept for diagnostics, as rustjail does).
/// Operations that change it take <see cref="Gate"/> so they never interleave; the machine and
/// <see cref="PreviousState"/> change together under the container's lock.
/// </summary>
public sealed class Container
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ContainerProcess> _execs = [];
    private readonly ILogger _logger;

    public Container(ContainerPlan plan, ContainerRootfs rootfs, ContainerCgroup? cgroup, ContainerProcess init, ILogger logger)
    {
        Plan = plan;
        Rootfs = rootfs;
        Cgroup = cgroup;
        Init = init;
        _logger = logger;
        _machine = new StateMachine<ContainerState>($"container '{plan.Id}'", ContainerState.Created, ContainerTransitions.Allowed);
        _ = init.Exited.ContinueWith(_ => { lock (_lock) { SyncWithInit(); } }, TaskScheduler.Default);
    }

    public string Id => Plan.Id;

    public ContainerPlan Plan { get; }

    public ContainerRootfs Rootfs { get; }

    public ContainerCgroup? Cgroup { get; }

    public ContainerProcess Init { get; }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>The current state; an exited init makes it Stopped even before the exit callback has run.</summary>
    public ContainerState State
    {
        get
        {
            lock (_lock)
            {
                SyncWithInit();
                return _machine.Current;
            }
        }
    }

    private readonly StateMachine<ContainerState> _machine;

    public ContainerState? PreviousState { get; private set; }

    public void MoveTo(ContainerState next)
    {
        lock (_lock)
        {
            SyncWithInit();
            Move(next);
        }
    }

    /// <summary>Created → Running after a successful start, unless init already exited (then it stays Stopped).</summary>
    public void MarkStarted()
    {
        lock (_lock)
        {
            // One look at the init: a second one (MoveTo's) could find that a short-lived init (echo, hostname) exited
            // in between, and the start of a container that ran would fail as "cannot go from Stopped to Running".
            // An exit after this look moves Running to Stopped at the next one.
            SyncWithInit();
            if (_machine.Current == ContainerState.Created)
            {
                Move(ContainerState.Running);
            }
        }
    }

    private void Move(ContainerState next)
    {
        if (!_machine.TryMove(next, out ContainerState previous))
        {
            throw AgentException.FailedPrecondition($"container '{Id}' cannot go from {previous} to {next}");
        }
        _logger.LogInformation("container {Id}: {From} -> {To}", Id, previous, next);
        PreviousState = previous;
    }

    /// <summary>Throws FailedPrecondition unless the container is in one of <paramref name="states"/>.</summary>
    public void Require(string operation, params ContainerState[] states)
    {
        lock (_lock)
        {
            SyncWithInit();
            ContainerState current = _machine.Current;
            if (!states.Contains(current))
            {
                throw AgentException.FailedPrecondition($"cannot {operation} container '{Id}': it is {current}");
            }
        }
    }

    public ContainerProcess GetProcess(string execId)
    {
        if (execId.Length == 0)
        {
            return Init;
        }
        lock (_lock)
        {
            return _execs.TryGetValue(execId, out ContainerProcess? p) ? p : throw AgentException.NotFound($"container '{Id}' has no exec process '{execId}'");
        }
    }

    public void AddExec(ContainerProcess process)
    {
        lock (_lock)
        {
            if (!_execs.TryAdd(process.ExecId, process))
            {
                throw AgentException.AlreadyExists($"container '{Id}' already has an exec process '{process.ExecId}'");
            }
        }
    }

    public void ReserveExecId(string execId)
    {
        lock (_lock)
        {
            if (_execs.ContainsKey(execId))
            {
                throw AgentException.AlreadyExists($"container '{Id}' already has an exec process '{execId}'");
            }
        }
    }

    public ContainerProcess RemoveExec(string execId)
    {
        lock (_lock)
        {
            if (!_execs.TryGetValue(execId, out ContainerProcess? p))
            {
                throw AgentException.NotFound($"container '{Id}' has no exec process '{execId}'");
            }
            if (p.State != ProcessState.Stopped)
            {
                throw AgentException.FailedPrecondition($"exec process '{execId}' is {p.State}; signal it and wait for it first");
            }
            _execs.Remove(execId);
            return p;
        }
    }

    public IReadOnlyList<ContainerProcess> Execs
    {
        get
        {
            lock (_lock)
            {
                return _execs.Values.ToList();
            }
        }
    }

    /// <summary>Init's exit moves the container to Stopped from any state (call with the lock held).</summary>
    private void SyncWithInit()
    {
        if (Init.Exited.IsCompleted && _machine.TryMove(ContainerState.Stopped, out ContainerState previous))
        {
            _logger.LogInformation("container {Id}: init exited ({Exit}); {From} -> Stopped", Id, Init.ExitIfStopped, previous);
            PreviousState = previous;
        }
    }
}
