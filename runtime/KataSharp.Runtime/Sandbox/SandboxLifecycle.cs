using KataSharp.Lifecycle;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The sandbox state machine. A failed boot returns to <see cref="SandboxState.NotBooted"/> so a
/// corrected configuration can be retried by the next Create; a VM that exits on its own goes
/// straight to <see cref="SandboxState.Stopped"/>. KataSharp's one idiom (<see cref="StateMachine{TState, TTrigger}"/>,
/// its thread-safety rule included); this class adds what a refusal means to containerd.
/// </summary>
public sealed class SandboxLifecycle
{
    private static readonly Dictionary<(SandboxState, SandboxEvent), SandboxState> Transitions = new()
    {
        [(SandboxState.NotBooted, SandboxEvent.Boot)] = SandboxState.Booting,
        [(SandboxState.NotBooted, SandboxEvent.Stop)] = SandboxState.Stopped,
        [(SandboxState.Booting, SandboxEvent.Booted)] = SandboxState.Running,
        [(SandboxState.Booting, SandboxEvent.BootFailed)] = SandboxState.NotBooted,
        [(SandboxState.Running, SandboxEvent.Stop)] = SandboxState.Stopping,
        [(SandboxState.Running, SandboxEvent.VmExited)] = SandboxState.Stopped,
        [(SandboxState.Stopping, SandboxEvent.VmExited)] = SandboxState.Stopped,
    };

    private readonly StateMachine<SandboxState, SandboxEvent> _machine = new("sandbox VM", SandboxState.NotBooted, Transitions);

    public SandboxState State => _machine.Current;

    public bool TryApply(SandboxEvent change) => _machine.TryFire(change);

    public void Apply(SandboxEvent change)
    {
        if (!_machine.TryFire(change, out SandboxState state))
        {
            throw new RuntimeException(state == SandboxState.Stopped ? RuntimeError.Unavailable : RuntimeError.FailedPrecondition,
                $"sandbox VM: cannot {change.ToString().ToLowerInvariant()} while {state.ToString().ToLowerInvariant()}");
        }
    }
}
