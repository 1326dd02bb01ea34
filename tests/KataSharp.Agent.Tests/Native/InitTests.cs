using System.Diagnostics;
using KataSharp.Agent.Tests.Support;
using Xunit;

namespace KataSharp.Agent.Tests.Native;

/// <summary>
/// ks-init as PID 1 of a new pid and mount namespace (unshare), with a shell script standing in for
/// the agent: it must mount the basics, start the agent, and end "the machine" when the agent exits
/// (reboot() in a child pid namespace kills that namespace's init with SIGHUP, so the host is safe).
/// </summary>
public sealed class InitTests : IDisposable
{
    // Not under the build output: ks-init mounts a tmpfs over /tmp (and /run, /dev), which would
    // hide the stand-in agent of a repository cloned under /tmp.
    private readonly string _dir = Path.Combine("/var/tmp", $"ks-init-test-{Guid.NewGuid():N}"[..24]);

    [Fact]
    public void Init_MountsTheBasics_StartsTheAgent_AndEndsWhenItExits()
    {
        Directory.CreateDirectory(_dir);
        string agent = Path.Combine(_dir, "fake-agent.sh");
        File.WriteAllText(agent, $$"""
            #!/bin/sh
            out={{_dir}}
            echo "pid=$$ ppid=$PPID" > $out/started
            for m in /proc /sys /dev /dev/pts /dev/shm /run /tmp /sys/fs/cgroup; do
              awk -v m=$m '$2 == m { print m, $3 }' /proc/mounts | tail -n1 >> $out/mounts
            done
            sleep 0.1 &
            exit 7
            """);
        File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var info = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "--pid", "--fork", "--mount", "--propagation", "private", Repository.Init, agent })
        {
            info.ArgumentList.Add(arg);
        }
        using Process init = Process.Start(info)!;
        string stderr = init.StandardError.ReadToEnd();
        Assert.True(init.WaitForExit(TimeSpan.FromSeconds(60)), "ks-init did not end after its agent exited");

        Assert.Contains("agent exited (7); ending the VM", stderr);
        Assert.Equal(128 + 1, init.ExitCode); // reboot() in a pid namespace: its init gets SIGHUP
        Assert.StartsWith("pid=2 ppid=1", File.ReadAllText(Path.Combine(_dir, "started")));
        string[] mounts = File.ReadAllLines(Path.Combine(_dir, "mounts"));
        Assert.Equal(["/proc proc", "/sys sysfs", "/dev devtmpfs", "/dev/pts devpts", "/dev/shm tmpfs", "/run tmpfs", "/tmp tmpfs", "/sys/fs/cgroup cgroup2"], mounts);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
