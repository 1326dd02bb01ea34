namespace KataSharp.Lifecycle;

/// <summary>
/// The one state-machine idiom of KataSharp: states are an enum, what can happen is an enum of triggers, and a table
/// (state, trigger) → next state lists every legal change. Every change goes through <see cref="TryFire(TTrigger, out TState)"/>
/// or <see cref="Fire"/>, so a change the table does not list cannot happen, and a refusal names the machine, the state
/// and the trigger. Lifecycles whose triggers are simply "go to state X" use <see cref="StateMachine{TState}"/>, the same
/// machine with the target state as the trigger.
/// <para>
/// The thread-safety rule, for every machine: the machine is the lock of its own state. Reading <see cref="Current"/> and
/// firing a trigger are each atomic; a caller that must act on whether a change happened acts on
/// <see cref="TryFire(TTrigger, out TState)"/>'s result (and the state it left), never on a <see cref="Current"/> read
/// followed by a fire. An owner that keeps more state beside the machine (an exit status, a previous state) guards both
/// with its own lock and fires inside it.
/// </para>
/// </summary>
public sealed class StateMachine<TState, TTrigger>
    where TState : struct, Enum
    where TTrigger : struct, Enum
{
    private readonly Lock _gate = new();
    private readonly IReadOnlyDictionary<(TState From, TTrigger Trigger), TState> _transitions;
    private TState _state;

    /// <param name="what">What the machine is the lifecycle of ("VM", "container 'c1'"): refusals start with it.</param>
    public StateMachine(string what, TState initial, IReadOnlyDictionary<(TState From, TTrigger Trigger), TState> transitions)
    {
        What = what;
        _state = initial;
        _transitions = transitions;
    }

    public string What { get; }

    public TState Current
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Whether the table lets <paramref name="trigger"/> happen in <paramref name="from"/>, and where it leads.</summary>
    public bool Allows(TState from, TTrigger trigger, out TState next) => _transitions.TryGetValue((from, trigger), out next);

    /// <summary>Whether <paramref name="trigger"/> may happen now (a snapshot: another thread may fire before you do).</summary>
    public bool CanFire(TTrigger trigger) => Allows(Current, trigger, out _);

    /// <summary>Applies <paramref name="trigger"/> if the current state allows it; <paramref name="previous"/> is the state it found.</summary>
    public bool TryFire(TTrigger trigger, out TState previous)
    {
        lock (_gate)
        {
            previous = _state;
            if (!Allows(_state, trigger, out TState next))
            {
                return false;
            }
            _state = next;
            return true;
        }
    }

    public bool TryFire(TTrigger trigger) => TryFire(trigger, out _);

    /// <summary>Applies <paramref name="trigger"/> and returns the new state, or throws <see cref="InvalidOperationException"/> naming the state.</summary>
    public TState Fire(TTrigger trigger)
    {
        if (!TryFire(trigger, out TState previous))
        {
            throw new InvalidOperationException($"{What} cannot {trigger} while {previous}");
        }
        return Current;
    }

    /// <summary>Throws unless the current state is <paramref name="expected"/>; <paramref name="action"/> names what was attempted.</summary>
    public void Require(TState expected, string action)
    {
        TState current = Current;
        if (!EqualityComparer<TState>.Default.Equals(current, expected))
        {
            throw new InvalidOperationException($"cannot {action}: the {What} is {current}, not {expected}");
        }
    }
}
