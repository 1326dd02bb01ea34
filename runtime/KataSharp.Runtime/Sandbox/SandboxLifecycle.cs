using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The sandbox state machine. A failed boot returns to <see cref="SandboxState.NotBooted"/> so a
/// corrected configuration can be retried by the next Create; a VM that exits on its own goes
/// straight to <see cref="SandboxState.Stopped"/>. Not thread-safe: the owner serializes calls.
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

    public SandboxState State { get; private set; } = SandboxState.NotBooted;

    public bool TryApply(SandboxEvent change)
    {
        if (!Transitions.TryGetValue((State, change), out SandboxState next))
        {
            return false;
        }
        State = next;
        return true;
    }

    public void Apply(SandboxEvent change)
    {
        if (!TryApply(change))
        {
            throw new RuntimeException(State == SandboxState.Stopped ? RuntimeError.Unavailable : RuntimeError.FailedPrecondition,
                $"sandbox VM: cannot {change.ToString().ToLowerInvariant()} while {State.ToString().ToLowerInvariant()}");
        }
    }
}
