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
        string[] stat = File.ReadAllText($"/proc/{p.ChildPid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(p.ChildPid.ToString(), stat[3]); // session id == own pid
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
