using System.Diagnostics;
using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Direct;

/// <summary>The heartbeat with the real agent.sh as real processes (Direct mode, no QEMU).</summary>
public sealed class HeartbeatTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Short enough for a test, long enough for bash on a loaded machine to answer a PING.</summary>
    private static readonly TimeSpan ShortHeartbeat = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task TheAgentAnswersThePingsSoACommandLongerThanTheTimeoutFinishes()
    {
        await using DirectHost direct = await DirectHost.StartAsync(ShortHeartbeat);

        CommandResult r = (await direct.Host.RunAsync("sleep 5; echo finished", Deadline)).EnsureSuccess();

        Assert.Equal("finished\n", r.Stdout);
        Assert.False(direct.Host.HasFailed);
    }

    [Fact]
    public async Task AFrozenAgentStopsTheMachineAndFailsItsCommandAsMachineStalledLongBeforeItsTimeout()
    {
        await using DirectHost direct = await DirectHost.StartAsync(ShortHeartbeat);
        int agent = direct.Host.Machine.ProcessId;
        string pidFile = Path.Combine(direct.Cache, "frozen.pid");
        Task<CommandResult> running = direct.Host.RunAsync($"echo $$ > {pidFile}; echo partial; exec sleep 300", TimeSpan.FromMinutes(5));
        int pid = await Processes.ReadPidFileAsync(pidFile, Deadline);
        var clock = Stopwatch.StartNew();

        // The agent's read loop stops as it does when L1 freezes as a whole: no PONG, no console line.
        Processes.Signal(agent, "STOP");
        var e = await Assert.ThrowsAsync<TestHostException>(() => running.WaitAsync(Deadline));
        Processes.Signal(pid, "KILL"); // orphaned by the machine's death, as in DirectModeShutdownTests

        Assert.Equal(TestHostError.MachineStalled, e.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the stall took {clock.Elapsed} to be reported");
        Assert.Contains("it stalled, its agent answered no heartbeat for", e.Message);
        Assert.Contains("KATASHARP_TESTHOST_HEARTBEAT_TIMEOUT", e.Message);
        Assert.Contains("partial", e.Message);
        Assert.True(direct.Host.HasFailed, "the host did not count as failed");
        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(agent), Deadline), "the stalled machine was not stopped");
        var refused = await Assert.ThrowsAsync<TestHostException>(() => direct.Host.RunAsync("true", Deadline));
        Assert.Equal(TestHostError.NotReady, refused.Error);
    }
}
