namespace KataSharp.Lifecycle;

/// <summary>
/// A <see cref="StateMachine{TState, TTrigger}"/> whose triggers are the states it moves to, for lifecycles that are a
/// path through their states with nothing to name on the edges (VM: Created → Running → Stopping → Stopped). The table
/// is written as "from → the states it may go to"; the rule and the refusals are the general machine's.
/// </summary>
public sealed class StateMachine<TState> where TState : struct, Enum
{
    private readonly StateMachine<TState, TState> _machine;

    public StateMachine(string what, TState initial, IReadOnlyDictionary<TState, TState[]> allowed)
    {
        var transitions = new Dictionary<(TState, TState), TState>();
        foreach ((TState from, TState[] targets) in allowed)
        {
            foreach (TState to in targets)
            {
                transitions[(from, to)] = to;
            }
        }
        _machine = new StateMachine<TState, TState>(what, initial, transitions);
    }

    public TState Current => _machine.Current;

    public bool CanMove(TState from, TState to) => _machine.Allows(from, to, out _);

    /// <summary>Moves to <paramref name="to"/> if the current state allows it; <paramref name="previous"/> is the state it found.</summary>
    public bool TryMove(TState to, out TState previous) => _machine.TryFire(to, out previous);

    public bool TryMove(TState to) => _machine.TryFire(to);

    /// <summary>Moves to <paramref name="to"/> or throws <see cref="InvalidOperationException"/> naming both states.</summary>
    public void Move(TState to)
    {
        if (!_machine.TryFire(to, out TState previous))
        {
            throw new InvalidOperationException($"{_machine.What} cannot go from {previous} to {to}");
        }
    }

    /// <inheritdoc cref="StateMachine{TState, TTrigger}.Require"/>
    public void Require(TState expected, string action) => _machine.Require(expected, action);
}
