using KataSharp.Lifecycle;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Tasks;

/// <summary>
/// The process state machine as a transition table (containerd pkg/process/init_state.go and
/// exec_state.go). Exec processes cannot be paused: pausing is per container. An exit is legal
/// from every live state, because a process can die at any moment. KataSharp's one idiom
/// (<see cref="StateMachine{TState, TTrigger}"/>, its thread-safety rule included); this class adds the errors
/// containerd expects for each refusal.
/// </summary>
public sealed class ProcessLifecycle
{
    private static readonly Dictionary<(ProcessState, ProcessEvent), ProcessState> InitTransitions = new()
    {
        [(ProcessState.Created, ProcessEvent.Start)] = ProcessState.Running,
        [(ProcessState.Created, ProcessEvent.Exit)] = ProcessState.Stopped,
        [(ProcessState.Created, ProcessEvent.Delete)] = ProcessState.Deleted,
        [(ProcessState.Running, ProcessEvent.Pause)] = ProcessState.Paused,
        [(ProcessState.Running, ProcessEvent.Exit)] = ProcessState.Stopped,
        [(ProcessState.Paused, ProcessEvent.Resume)] = ProcessState.Running,
        [(ProcessState.Paused, ProcessEvent.Exit)] = ProcessState.Stopped,
        [(ProcessState.Stopped, ProcessEvent.Delete)] = ProcessState.Deleted,
    };

    private static readonly Dictionary<(ProcessState, ProcessEvent), ProcessState> ExecTransitions = new()
    {
        [(ProcessState.Created, ProcessEvent.Start)] = ProcessState.Running,
        [(ProcessState.Created, ProcessEvent.Exit)] = ProcessState.Stopped,
        [(ProcessState.Created, ProcessEvent.Delete)] = ProcessState.Deleted,
        [(ProcessState.Running, ProcessEvent.Exit)] = ProcessState.Stopped,
        [(ProcessState.Stopped, ProcessEvent.Delete)] = ProcessState.Deleted,
    };

    private readonly StateMachine<ProcessState, ProcessEvent> _machine;
    private readonly string _name;

    public ProcessLifecycle(string name, bool isInit)
    {
        _name = name;
        _machine = new StateMachine<ProcessState, ProcessEvent>(name, ProcessState.Created, isInit ? InitTransitions : ExecTransitions);
    }

    public ProcessState State => _machine.Current;

    public bool CanApply(ProcessEvent change) => _machine.CanFire(change);

    /// <summary>Moves to the next state or throws the error containerd expects for this mistake.</summary>
    public void Apply(ProcessEvent change)
    {
        if (!_machine.TryFire(change, out ProcessState state))
        {
            throw Refusal(state, change);
        }
    }

    /// <summary>Throws unless <paramref name="change"/> is legal now, without changing state.</summary>
    public void Require(ProcessEvent change)
    {
        ProcessState state = _machine.Current;
        if (!_machine.Allows(state, change, out _))
        {
            throw Refusal(state, change);
        }
    }

    private RuntimeException Refusal(ProcessState state, ProcessEvent change)
    {
        if (state == ProcessState.Deleted)
        {
            return new RuntimeException(RuntimeError.NotFound, $"{_name}: not found (already deleted)");
        }
        if (state == ProcessState.Stopped && change is ProcessEvent.Pause or ProcessEvent.Resume or ProcessEvent.Start)
        {
            return new RuntimeException(RuntimeError.FailedPrecondition, $"{_name}: cannot {Verb(change)}: process already finished");
        }
        string why = change == ProcessEvent.Delete ? " (kill it and wait for its exit first)" : "";
        return new RuntimeException(RuntimeError.FailedPrecondition,
            $"{_name}: cannot {Verb(change)} a {state.ToString().ToLowerInvariant()} process{why}");
    }

    private static string Verb(ProcessEvent change) => change.ToString().ToLowerInvariant();
}
