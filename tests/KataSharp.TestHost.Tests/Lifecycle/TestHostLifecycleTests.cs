using Xunit;

namespace KataSharp.TestHost.Tests.Lifecycle;

public sealed class TestHostLifecycleTests
{
    public static TheoryData<string, string, bool> Edges()
    {
        var legal = new HashSet<(TestHostState, TestHostState)>
        {
            (TestHostState.Starting, TestHostState.Ready), (TestHostState.Starting, TestHostState.Failed),
            (TestHostState.Starting, TestHostState.Stopping), (TestHostState.Ready, TestHostState.Failed),
            (TestHostState.Ready, TestHostState.Stopping), (TestHostState.Failed, TestHostState.Stopping),
            (TestHostState.Stopping, TestHostState.Stopped),
        };
        var data = new TheoryData<string, string, bool>();
        foreach (TestHostState from in Enum.GetValues<TestHostState>())
        {
            foreach (TestHostState to in Enum.GetValues<TestHostState>())
            {
                data.Add(from.ToString(), to.ToString(), legal.Contains((from, to)));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Edges))]
    public void OnlyTheTableMovesAreAllowed(string from, string to, bool legal)
    {
        Assert.Equal(legal, TestHostLifecycle.IsAllowed(Enum.Parse<TestHostState>(from), Enum.Parse<TestHostState>(to)));
    }

    [Fact]
    public void IllegalMoveThrowsAndKeepsTheState()
    {
        var life = new TestHostLifecycle();
        life.Move(TestHostState.Ready);
        life.Move(TestHostState.Stopping);
        var e = Assert.Throws<InvalidOperationException>(() => life.Move(TestHostState.Ready));
        Assert.Contains("Stopping to Ready", e.Message);
        Assert.False(life.TryMove(TestHostState.Failed));
        Assert.Equal(TestHostState.Stopping, life.State);
    }
}
