using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Direct;

/// <summary>What happens to running commands when the host is disposed or its machine dies.</summary>
public sealed class DirectModeShutdownTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DisposeKillsRunningCommandsAndLaterCallsAreRefused()
    {
        DirectHost direct = await DirectHost.StartAsync();
        string pidFile = Path.Combine(direct.Cache, "long.pid");
        Task<CommandResult> running = direct.Host.RunAsync($"echo $$ > {pidFile}; sleep 300", TimeSpan.FromMinutes(5));
        int pid = await Processes.ReadPidFileAsync(pidFile, Deadline);
        int agent = direct.Host.Machine.ProcessId;

        await direct.Host.DisposeAsync();

        Assert.False(Processes.IsAlive(agent), "the agent outlived dispose");
        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(pid), Deadline), $"command pid {pid} outlived dispose");
        var lost = await Assert.ThrowsAsync<TestHostException>(() => running);
        Assert.Equal(TestHostError.MachineExited, lost.Error);
        var refused = await Assert.ThrowsAsync<TestHostException>(() => direct.Host.RunAsync("true", Deadline));
        Assert.Equal(TestHostError.NotReady, refused.Error);
        await direct.DisposeAsync();
    }

    [Fact]
    public async Task AMachineThatDiesFailsItsCommandsWithTheConsoleTail()
    {
        await using DirectHost direct = await DirectHost.StartAsync();
        string pidFile = Path.Combine(direct.Cache, "orphan.pid");
        Task<CommandResult> running = direct.Host.RunAsync($"echo $$ > {pidFile}; echo partial; sleep 300", TimeSpan.FromMinutes(5));
        int pid = await Processes.ReadPidFileAsync(pidFile, Deadline);

        Processes.Signal(direct.Host.Machine.ProcessId, "KILL");

        var e = await Assert.ThrowsAsync<TestHostException>(() => running.WaitAsync(Deadline));
        Assert.Equal(TestHostError.MachineExited, e.Error);
        Assert.Contains("exited", e.Message);
        Assert.Contains("ks-agent: serving commands", e.Message);
        Assert.Contains("partial", e.Message);
        Assert.True(await Processes.WaitUntilAsync(() =>
            direct.Host.RunAsync("true", Deadline).Exception?.InnerException is TestHostException { Error: TestHostError.NotReady }, Deadline),
            "the host still accepts commands after its machine died");
        // The orphaned command is not the host's to clean up any more; end it so the test leaves nothing.
        Processes.Signal(pid, "KILL");
    }
}
