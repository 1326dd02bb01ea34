using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Lifecycle;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>The agent's container and process tables, every edge legal and illegal, through the machine they drive.</summary>
public sealed class StateTableTests
{
    private static readonly HashSet<(ContainerState, ContainerState)> ContainerEdges =
    [
        (ContainerState.Created, ContainerState.Running), (ContainerState.Created, ContainerState.Stopped),
        (ContainerState.Running, ContainerState.Paused), (ContainerState.Running, ContainerState.Stopped),
        (ContainerState.Paused, ContainerState.Running), (ContainerState.Paused, ContainerState.Stopped),
    ];

    private static readonly HashSet<(ProcessState, ProcessState)> ProcessEdges =
    [
        (ProcessState.Created, ProcessState.Running), (ProcessState.Created, ProcessState.Stopped), (ProcessState.Running, ProcessState.Stopped),
    ];

    public static TheoryData<ContainerState, ContainerState> ContainerPairs() => Pairs<ContainerState>();

    public static TheoryData<ProcessState, ProcessState> ProcessPairs() => Pairs<ProcessState>();

    [Theory]
    [MemberData(nameof(ContainerPairs))]
    public void Container_edges_are_containerds(ContainerState from, ContainerState to) =>
        AssertEdge(ContainerTransitions.Allowed, from, to, ContainerEdges.Contains((from, to)));

    [Theory]
    [MemberData(nameof(ProcessPairs))]
    public void Process_edges_end_in_stopped(ProcessState from, ProcessState to) =>
        AssertEdge(ProcessTransitions.Allowed, from, to, ProcessEdges.Contains((from, to)));

    [Fact]
    public void Every_state_has_a_row_and_stopped_is_final()
    {
        Assert.Equal(Enum.GetValues<ContainerState>().Order(), ContainerTransitions.Allowed.Keys.Order());
        Assert.Equal(Enum.GetValues<ProcessState>().Order(), ProcessTransitions.Allowed.Keys.Order());
        Assert.Empty(ContainerTransitions.Allowed[ContainerState.Stopped]);
        Assert.Empty(ProcessTransitions.Allowed[ProcessState.Stopped]);
    }

    private static void AssertEdge<TState>(IReadOnlyDictionary<TState, TState[]> table, TState from, TState to, bool legal) where TState : struct, Enum
    {
        var machine = new StateMachine<TState>("x", from, table);
        Assert.Equal(legal, machine.TryMove(to, out TState previous));
        Assert.Equal(from, previous);
        Assert.Equal(legal ? to : from, machine.Current);
        if (!legal)
        {
            Assert.Contains($"from {from} to {to}", Assert.Throws<InvalidOperationException>(() => machine.Move(to)).Message);
        }
    }

    private static TheoryData<TState, TState> Pairs<TState>() where TState : struct, Enum
    {
        var data = new TheoryData<TState, TState>();
        foreach (TState from in Enum.GetValues<TState>())
        {
            foreach (TState to in Enum.GetValues<TState>())
            {
                data.Add(from, to);
            }
        }
        return data;
    }
}
