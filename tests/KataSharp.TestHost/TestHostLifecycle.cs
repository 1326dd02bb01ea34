namespace KataSharp.TestHost;

/// <summary>
/// The test host's state with its transition table. Moves not in the table are bugs and throw;
/// <see cref="TryMove"/> is for racing observers (a machine exit seen while stopping).
/// </summary>
internal sealed class TestHostLifecycle
{
    private static readonly Dictionary<TestHostState, TestHostState[]> Allowed = new()
    {
        [TestHostState.Starting] = [TestHostState.Ready, TestHostState.Failed, TestHostState.Stopping],
        [TestHostState.Ready] = [TestHostState.Failed, TestHostState.Stopping],
        [TestHostState.Failed] = [TestHostState.Stopping],
        [TestHostState.Stopping] = [TestHostState.Stopped],
        [TestHostState.Stopped] = [],
    };

    private readonly Lock gate = new();

    public TestHostState State { get; private set; } = TestHostState.Starting;

    public static bool IsAllowed(TestHostState from, TestHostState to) => Allowed[from].Contains(to);

    public void Move(TestHostState to)
    {
        if (!TryMove(to))
        {
            throw new InvalidOperationException($"test host cannot move from {State} to {to}");
        }
    }

    public bool TryMove(TestHostState to)
    {
        lock (gate)
        {
            if (!IsAllowed(State, to))
            {
                return false;
            }
            State = to;
            return true;
        }
    }
}
