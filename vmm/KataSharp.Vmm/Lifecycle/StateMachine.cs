namespace KataSharp.Vmm.Lifecycle;

/// <summary>
/// A lifecycle as an enum plus a table of allowed transitions. Every change goes through
/// <see cref="TryMove"/> or <see cref="Move"/>, so an invalid transition is impossible by construction
/// and is reported with both states named. Thread-safe.
/// </summary>
public sealed class StateMachine<TState> where TState : struct, Enum
{
    private readonly object _gate = new();
    private readonly IReadOnlyDictionary<TState, TState[]> _allowed;
    private readonly string _what;
    private TState _state;

    public StateMachine(string what, TState initial, IReadOnlyDictionary<TState, TState[]> allowed)
    {
        _what = what;
        _state = initial;
        _allowed = allowed;
    }

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

    public bool CanMove(TState from, TState to) => _allowed.TryGetValue(from, out TState[]? targets) && targets.Contains(to);

    /// <summary>Moves to <paramref name="to"/> if the current state allows it; returns the state it was in.</summary>
    public bool TryMove(TState to, out TState previous)
    {
        lock (_gate)
        {
            previous = _state;
            if (!CanMove(_state, to))
            {
                return false;
            }
            _state = to;
            return true;
        }
    }

    public bool TryMove(TState to) => TryMove(to, out _);

    /// <summary>Moves to <paramref name="to"/> or throws <see cref="InvalidOperationException"/> naming both states.</summary>
    public void Move(TState to)
    {
        if (!TryMove(to, out TState previous))
        {
            throw new InvalidOperationException($"{_what} cannot go from {previous} to {to}");
        }
    }

    /// <summary>Throws unless the current state is <paramref name="expected"/>; <paramref name="action"/> names what was attempted.</summary>
    public void Require(TState expected, string action)
    {
        TState current = Current;
        if (!EqualityComparer<TState>.Default.Equals(current, expected))
        {
            throw new InvalidOperationException($"cannot {action}: the {_what} is {current}, not {expected}");
        }
    }
}
