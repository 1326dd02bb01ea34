using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tasks;
using Xunit;

namespace KataSharp.Runtime.Tests.Tasks;

public class LifecycleTests
{
    public static TheoryData<bool, ProcessState, ProcessEvent, ProcessState?> ProcessTable()
    {
        // Every (state, event) pair; null = refused. Init and exec differ only in pause/resume.
        var data = new TheoryData<bool, ProcessState, ProcessEvent, ProcessState?>();
        foreach (bool isInit in new[] { true, false })
        {
            // An exec can never be paused, so (exec, Paused) is unreachable and not listed.
            foreach (ProcessState state in Enum.GetValues<ProcessState>().Where(s => isInit || s != ProcessState.Paused))
            {
                foreach (ProcessEvent change in Enum.GetValues<ProcessEvent>())
                {
                    data.Add(isInit, state, change, Expected(isInit, state, change));
                }
            }
        }
        return data;
    }

    private static ProcessState? Expected(bool isInit, ProcessState state, ProcessEvent change) => (state, change) switch
    {
        (ProcessState.Created, ProcessEvent.Start) => ProcessState.Running,
        (ProcessState.Created, ProcessEvent.Exit) => ProcessState.Stopped,
        (ProcessState.Created, ProcessEvent.Delete) => ProcessState.Deleted,
        (ProcessState.Running, ProcessEvent.Pause) when isInit => ProcessState.Paused,
        (ProcessState.Running, ProcessEvent.Exit) => ProcessState.Stopped,
        (ProcessState.Paused, ProcessEvent.Resume) when isInit => ProcessState.Running,
        (ProcessState.Paused, ProcessEvent.Exit) when isInit => ProcessState.Stopped,
        (ProcessState.Stopped, ProcessEvent.Delete) => ProcessState.Deleted,
        _ => null,
    };

    [Theory]
    [MemberData(nameof(ProcessTable))]
    public void Process_transitions_follow_the_table(bool isInit, ProcessState from, ProcessEvent change, ProcessState? to)
    {
        var lifecycle = Reach(new ProcessLifecycle("p", isInit), from);
        Assert.Equal(from, lifecycle.State);
        if (to is { } next)
        {
            lifecycle.Apply(change);
            Assert.Equal(next, lifecycle.State);
        }
        else
        {
            var error = Assert.Throws<RuntimeException>(() => lifecycle.Apply(change));
            Assert.Equal(from == ProcessState.Deleted ? RuntimeError.NotFound : RuntimeError.FailedPrecondition, error.Error);
            Assert.Equal(from, lifecycle.State);
        }
    }

    [Fact]
    public void Refusals_say_what_and_why()
    {
        var running = Reach(new ProcessLifecycle("container c1", isInit: true), ProcessState.Running);
        var error = Assert.Throws<RuntimeException>(() => running.Apply(ProcessEvent.Delete));
        Assert.Equal("container c1: cannot delete a running process (kill it and wait for its exit first)", error.Message);
        var stopped = Reach(new ProcessLifecycle("container c1", isInit: true), ProcessState.Stopped);
        Assert.Contains("process already finished", Assert.Throws<RuntimeException>(() => stopped.Apply(ProcessEvent.Pause)).Message);
    }

    [Theory]
    [InlineData(SandboxState.NotBooted, SandboxEvent.Boot, SandboxState.Booting)]
    [InlineData(SandboxState.NotBooted, SandboxEvent.Stop, SandboxState.Stopped)]
    [InlineData(SandboxState.Booting, SandboxEvent.Booted, SandboxState.Running)]
    [InlineData(SandboxState.Booting, SandboxEvent.BootFailed, SandboxState.NotBooted)]
    [InlineData(SandboxState.Running, SandboxEvent.Stop, SandboxState.Stopping)]
    [InlineData(SandboxState.Running, SandboxEvent.VmExited, SandboxState.Stopped)]
    [InlineData(SandboxState.Stopping, SandboxEvent.VmExited, SandboxState.Stopped)]
    public void Sandbox_transitions_that_exist(SandboxState from, SandboxEvent change, SandboxState to)
    {
        var lifecycle = Reach(new SandboxLifecycle(), from);
        lifecycle.Apply(change);
        Assert.Equal(to, lifecycle.State);
    }

    [Theory]
    [InlineData(SandboxState.NotBooted, SandboxEvent.Booted)]
    [InlineData(SandboxState.Running, SandboxEvent.Boot)]
    [InlineData(SandboxState.Booting, SandboxEvent.Stop)]
    [InlineData(SandboxState.Stopped, SandboxEvent.Boot)]
    [InlineData(SandboxState.Stopped, SandboxEvent.Stop)]
    public void Sandbox_transitions_that_do_not(SandboxState from, SandboxEvent change)
    {
        var lifecycle = Reach(new SandboxLifecycle(), from);
        Assert.False(lifecycle.TryApply(change));
        Assert.Equal(from, lifecycle.State);
        Assert.Throws<RuntimeException>(() => lifecycle.Apply(change));
    }

    private static ProcessLifecycle Reach(ProcessLifecycle lifecycle, ProcessState state)
    {
        ProcessEvent[] path = state switch
        {
            ProcessState.Created => [],
            ProcessState.Running => [ProcessEvent.Start],
            ProcessState.Paused => [ProcessEvent.Start, ProcessEvent.Pause],
            ProcessState.Stopped => [ProcessEvent.Start, ProcessEvent.Exit],
            ProcessState.Deleted => [ProcessEvent.Start, ProcessEvent.Exit, ProcessEvent.Delete],
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };
        foreach (var step in path)
        {
            if (!lifecycle.CanApply(step))
            {
                break;
            }
            lifecycle.Apply(step);
        }
        return lifecycle;
    }

    private static SandboxLifecycle Reach(SandboxLifecycle lifecycle, SandboxState state)
    {
        SandboxEvent[] path = state switch
        {
            SandboxState.NotBooted => [],
            SandboxState.Booting => [SandboxEvent.Boot],
            SandboxState.Running => [SandboxEvent.Boot, SandboxEvent.Booted],
            SandboxState.Stopping => [SandboxEvent.Boot, SandboxEvent.Booted, SandboxEvent.Stop],
            SandboxState.Stopped => [SandboxEvent.Boot, SandboxEvent.Booted, SandboxEvent.VmExited],
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };
        foreach (var step in path)
        {
            lifecycle.Apply(step);
        }
        return lifecycle;
    }
}
