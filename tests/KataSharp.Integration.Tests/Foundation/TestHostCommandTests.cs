using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Foundation;

/// <summary>How commands behave inside the real test host: failures, timeouts, what L1 looks like.</summary>
[Collection(TestHostCollection.Name)]
public sealed class TestHostCommandTests(TestHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly NestedTestHost host = fixture.Host;

    [Fact]
    public async Task AFailingCommandReportsItsStdoutStderrAndTheConsole()
    {
        CommandResult r = await host.RunAsync("echo partial-out; echo partial-err >&2; exit 9", Timeout);
        Assert.Equal(9, r.ExitCode);
        Assert.Equal("partial-out\n", r.Stdout);
        Assert.Equal("partial-err\n", r.Stderr);
        var e = Assert.Throws<TestHostException>(() => r.EnsureSuccess());
        Assert.Contains("exited with code 9", e.Message);
        Assert.Contains("partial-out", e.Message);
        Assert.Contains("partial-err", e.Message);
        Assert.Contains("--- console", e.Message);
    }

    [Fact]
    public async Task ACommandThatTimesOutIsKilledAndReportedWithTheConsoleTail()
    {
        string pids = $"/tmp/ks-timeout-{Guid.NewGuid():N}";
        var e = await Assert.ThrowsAsync<TestHostException>(() => host.RunAsync(
            $"echo $$ > {pids}; sleep 600 & echo $! >> {pids}; echo before-timeout; wait", TimeSpan.FromSeconds(5)));
        Assert.Equal(TestHostError.CommandTimedOut, e.Error);
        Assert.Contains("killed (exit code 137)", e.Message);
        Assert.Contains("before-timeout", e.Message);
        Assert.Contains($"--- {host.Mode} console", e.Message);
        Assert.Contains("ks-agent: killed command", e.Message);

        // Both the shell and its background child are gone (dead or reaped) within 30 s.
        CommandResult gone = await host.RunAsync(
            $"for i in $(seq 300); do alive=0; for p in $(cat {pids}); do "
            + "s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != Z ] && alive=1; done; "
            + "[ $alive = 0 ] && exit 0; sleep 0.1; done; ps -o pid,stat,args -p $(cat " + pids + " | tr '\\n' ,)0; exit 1", Timeout);
        Assert.True(gone.ExitCode == 0, $"a process of the timed-out command survived:\n{gone.Stdout}");
    }

    [Fact]
    public async Task HostFilesAreVisibleAndWritesStayInsideL1()
    {
        string probe = Path.Combine(AppContext.BaseDirectory, $"l1-write-probe-{Guid.NewGuid():N}");
        string assembly = Path.Combine(AppContext.BaseDirectory, "KataSharp.Integration.Tests.dll");
        CommandResult r = (await host.RunAsync(
            $"test -f {assembly} && echo inside > {probe} && cat {probe} && id -u", Timeout)).EnsureSuccess();
        Assert.Equal("inside\n0\n", r.Stdout);
        try
        {
            // Nested: the host root is read-only with a tmpfs overlay. Direct: it is this machine.
            Assert.Equal(host.Mode == TestHostMode.Direct, File.Exists(probe));
        }
        finally
        {
            File.Delete(probe);
        }
    }

    [Fact]
    public async Task L1HasCgroupV2WithControllersAndTmpfsForContainerd()
    {
        if (host.Mode == TestHostMode.Direct)
        {
            // Direct mode uses the machine's own cgroup setup; what later tests need is cgroup2 somewhere.
            Assert.Contains(" cgroup2 ", (await host.RunAsync("cat /proc/mounts", Timeout)).EnsureSuccess().Stdout);
            return;
        }
        CommandResult r = (await host.RunAsync(
            "cat /sys/fs/cgroup/cgroup.subtree_control; stat -f -c %T /var/lib/containerd /tmp /run /sys/fs/cgroup", Timeout)).EnsureSuccess();
        string[] lines = r.Stdout.Split('\n');
        foreach (string controller in new[] { "cpu", "memory", "pids", "cpuset", "io" })
        {
            Assert.Contains(controller, lines[0].Split(' '));
        }
        Assert.Equal(new[] { "tmpfs", "tmpfs", "tmpfs", "cgroup2fs" }, lines[1..5]);
    }
}
