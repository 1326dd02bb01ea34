using System.Text;
using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Direct;

/// <summary>The whole command path (spool, agent.sh, sessions, kill, protocol) with real
/// processes, in Direct mode so it needs no QEMU.</summary>
public sealed class DirectModeTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private DirectHost direct = null!;

    private NestedTestHost Host => direct.Host;

    public async Task InitializeAsync() => direct = await DirectHost.StartAsync();

    public async Task DisposeAsync() => await direct.DisposeAsync();

    [Fact]
    public void SaysWhichModeItChose()
    {
        Assert.Equal(TestHostMode.Direct, Host.Mode);
        lock (direct.Log)
        {
            Assert.Contains(direct.Log, l => l.Contains("mode Direct") && l.Contains("forced by"));
        }
    }

    [Fact]
    public async Task ReturnsExitCodeStdoutAndStderrSeparately()
    {
        CommandResult r = await Host.RunAsync("echo to-out; echo to-err >&2; printf 'no newline'; exit 7", Deadline);
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("to-out\nno newline", r.Stdout);
        Assert.Equal("to-err\n", r.Stderr);
        var e = Assert.Throws<TestHostException>(() => r.EnsureSuccess());
        Assert.Equal(TestHostError.CommandFailed, e.Error);
        Assert.Contains("exited with code 7", e.Message);
        Assert.Contains("to-out", e.Message);
        Assert.Contains("to-err", e.Message);
        Assert.Contains("exit 7", e.Message);
    }

    [Fact]
    public async Task RunsAsRootInTheCallersDirectoryWithStdinClosed()
    {
        CommandResult r = (await Host.RunAsync("id -u; pwd; cat; echo \"PATH=$PATH\"", Deadline)).EnsureSuccess();
        string[] lines = r.Stdout.Split('\n');
        Assert.Equal("0", lines[0]);
        Assert.Equal(Environment.CurrentDirectory, lines[1]);
        Assert.StartsWith("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", lines[2]);
    }

    [Fact]
    public async Task RunsCommandsConcurrently()
    {
        // The first command can only finish if the second runs while it waits.
        string flag = Path.Combine(direct.Cache, "second-ran");
        Task<CommandResult> first = Host.RunAsync($"while [ ! -e {flag} ]; do sleep 0.05; done; echo first", Deadline);
        Task<CommandResult> second = Host.RunAsync($"touch {flag}; echo second", Deadline);
        Assert.Equal("second\n", (await second).EnsureSuccess().Stdout);
        Assert.Equal("first\n", (await first).EnsureSuccess().Stdout);
    }

    [Fact]
    public async Task LiveOutputArrivesWhileTheCommandRunsAndAddsUpToTheResult()
    {
        string flag = Path.Combine(direct.Cache, "go-on");
        var live = new List<(CommandStream Stream, byte[] Bytes)>();
        string Live(CommandStream stream)
        {
            lock (live)
            {
                return string.Concat(live.Where(c => c.Stream == stream).Select(c => Encoding.UTF8.GetString(c.Bytes)));
            }
        }
        Task<CommandResult> run = Host.RunAsync(
            $"echo before; echo err-before >&2; while [ ! -e {flag} ]; do sleep 0.05; done; printf 'after\\n'; echo err-after >&2",
            Deadline, (stream, bytes) =>
            {
                lock (live)
                {
                    live.Add((stream, bytes.ToArray()));
                }
            });

        // Before the command can end (it waits for the flag), its first lines are already here.
        Assert.True(await Processes.WaitUntilAsync(() => Live(CommandStream.Stdout) == "before\n" && Live(CommandStream.Stderr) == "err-before\n", Deadline),
            $"no live output while the command ran: stdout '{Live(CommandStream.Stdout)}', stderr '{Live(CommandStream.Stderr)}'");
        Assert.False(run.IsCompleted);
        File.WriteAllText(flag, "");
        CommandResult result = (await run).EnsureSuccess();

        Assert.Equal("before\nafter\n", result.Stdout);
        Assert.Equal("err-before\nerr-after\n", result.Stderr);
        Assert.Equal(result.Stdout, Live(CommandStream.Stdout));
        Assert.Equal(result.Stderr, Live(CommandStream.Stderr));
    }

    [Fact]
    public async Task TimeoutKillsTheCommandsProcessGroupAndReportsOutputAndConsole()
    {
        string pids = Path.Combine(direct.Cache, "timeout");
        Directory.CreateDirectory(pids);
        var e = await Assert.ThrowsAsync<TestHostException>(() => Host.RunAsync(
            $"echo $$ > {pids}/shell; sleep 300 & echo $! > {pids}/child; echo started; echo warming >&2; wait",
            TimeSpan.FromSeconds(2)));
        Assert.Equal(TestHostError.CommandTimedOut, e.Error);
        Assert.Contains("timed out after 2s", e.Message);
        Assert.Contains("killed (exit code 137)", e.Message);
        Assert.Contains("started", e.Message);
        Assert.Contains("warming", e.Message);
        Assert.Contains("Direct console", e.Message);
        Assert.Contains("ks-agent: serving commands", e.Message);
        int shell = await Processes.ReadPidFileAsync($"{pids}/shell", Deadline);
        int child = await Processes.ReadPidFileAsync($"{pids}/child", Deadline);
        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(shell) && !Processes.IsAlive(child), Deadline),
            "the timed-out command or its background child is still running");
    }

    [Fact]
    public async Task CancellationKillsTheCommand()
    {
        string pidFile = Path.Combine(direct.Cache, "cancelled.pid");
        using var cancel = new CancellationTokenSource();
        Task<CommandResult> run = Host.RunAsync($"echo $$ > {pidFile}; sleep 300", TimeSpan.FromMinutes(5), cancel.Token);
        int pid = await Processes.ReadPidFileAsync(pidFile, Deadline);
        cancel.Cancel();
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Contains("cancelled", e.Message);
        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(pid), Deadline), $"pid {pid} survived the cancellation");
    }

    [Fact]
    public async Task BadArgumentsAreRefusedBeforeAnythingRuns()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Host.RunAsync("  ", Deadline));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Host.RunAsync("true", TimeSpan.Zero));
    }
}
