using KataSharp.TestHost.Build;
using KataSharp.TestHost.Machine;
using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Machine;

public sealed class GuardedProcessTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string log = Path.Combine(Path.GetTempPath(), $"ks-guard-{Guid.NewGuid():N}.log");
    private readonly string guard = RepositoryLayout.Discover().GuardScript;

    [Fact]
    public async Task KillEndsTheGuardedCommand()
    {
        using GuardedProcess p = await GuardedProcess.StartAsync(guard, log, ["sleep", "300"], CancellationToken.None);
        Assert.True(Processes.IsAlive(p.ChildPid));
        p.Kill();
        await p.Exited.WaitAsync(Deadline);
        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(p.ChildPid), Deadline));
    }

    [Fact]
    public async Task TheCommandRunsInItsOwnSessionSoTerminalSignalsMissIt()
    {
        using GuardedProcess p = await GuardedProcess.StartAsync(guard, log, ["sleep", "300"], CancellationToken.None);
        // setsid(1) calls setsid() right after it starts: wait for it, then the session id is its own pid.
        Assert.True(await Processes.WaitUntilAsync(() => SessionOf(p.ChildPid) == p.ChildPid, Deadline),
            $"pid {p.ChildPid} is in session {SessionOf(p.ChildPid)}, not its own");
    }

    private static int SessionOf(int pid)
    {
        string[] stat = File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(stat[3]); // state, ppid, pgrp, session
    }

    [Fact]
    public async Task CommandOutputGoesToTheLogAndItsExitEndsTheGuard()
    {
        using GuardedProcess p = await GuardedProcess.StartAsync(guard, log, ["sh", "-c", "echo from-child; echo oops >&2"], CancellationToken.None);
        await p.Exited.WaitAsync(Deadline);
        string text = File.ReadAllText(log);
        Assert.Contains("from-child", text);
        Assert.Contains("oops", text);
    }

    public void Dispose() => File.Delete(log);
}
