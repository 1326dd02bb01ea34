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
        Task<CommandResult> running = direct.Host.RunAsync($"echo $$ > {pidFile}; echo partial; exec sleep 300", TimeSpan.FromMinutes(5));
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
        // The orphaned command (exec: its pid is the sleep) is not the host's to clean up any more; end it so the test leaves nothing.
        Processes.Signal(pid, "KILL");
    }

    [Fact]
    public async Task AKernelFailureOnTheConsoleStopsTheMachineAndFailsItsCommandAsKernelFailed()
    {
        await using DirectHost direct = await DirectHost.StartAsync();
        string console = Directory.GetFiles(direct.Cache, "console.log", SearchOption.AllDirectories).Single();
        int agent = direct.Host.Machine.ProcessId;
        string pidFile = Path.Combine(direct.Cache, "panicking.pid");

        // What a dying L1 kernel prints, appended to the console the host watches (Direct mode: the agent's log).
        Task<CommandResult> running = direct.Host.RunAsync(
            $"echo $$ > {pidFile}; echo '[  808.5] Kernel panic - not syncing: a test' >> {console}; exec sleep 300", TimeSpan.FromMinutes(5));
        int pid = await Processes.ReadPidFileAsync(pidFile, Deadline);
        var e = await Assert.ThrowsAsync<TestHostException>(() => running.WaitAsync(Deadline));
        Processes.Signal(pid, "KILL"); // orphaned by the machine's death, as in the test above

        Assert.Equal(TestHostError.KernelFailed, e.Error);
        Assert.Contains("its kernel failed ([  808.5] Kernel panic - not syncing: a test)", e.Message);
        Assert.True(await Processes.WaitUntilAsync(() => direct.Host.HasFailed, Deadline), "the host did not count as failed");
        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(agent), Deadline), "the machine outlived its kernel failure");
    }
}
