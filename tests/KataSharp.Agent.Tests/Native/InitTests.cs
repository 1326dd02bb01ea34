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

    /// <summary>
    /// ks-init on a root like the guest's (a tmpfs holding the initrd's files and its marker): it moves
    /// into a fresh tmpfs, mounts /etc, /run and /tmp writable, and makes the root itself read-only
    /// before the agent starts, so nothing can change ks-spawn, the agent or their libraries.
    /// </summary>
    [Fact]
    public async Task Init_OnTheInitrdRoot_MakesTheRootReadOnly_AndTheAgentsDirectoriesWritable()
    {
        string root = Path.Combine(_dir, "root");
        foreach (string d in new[] { "bin", "dev", "proc", "sys", "run", "tmp", "etc", "usr/bin" })
        {
            Directory.CreateDirectory(Path.Combine(root, d));
        }
        File.Copy(Repository.Init, Path.Combine(root, "init"));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(root, "bin", "sh"), "busybox");
        File.WriteAllText(Path.Combine(root, "usr", "bin", "ks-spawn"), "stands in for the helper\n");
        File.WriteAllText(Path.Combine(root, ".katasharp-initrd"), "");
        File.WriteAllText(Path.Combine(root, "fake-agent.sh"), """
            #!/bin/sh
            b=/bin/busybox
            try() { if "$@" 2>/dev/null; then echo "$3 writable"; else echo "$3 refused"; fi; }
            try $b touch /new-file
            try $b touch /usr/bin/ks-spawn
            try $b mkdir /new-dir
            try $b touch /etc/resolv.conf
            try $b touch /run/state
            try $b touch /tmp/scratch
            $b awk '$2 == "/" { split($4, o, ","); print "root", o[1] }' /proc/mounts | $b tail -n1
            exit 7
            """);
        File.SetUnixFileMode(Path.Combine(root, "fake-agent.sh"), (UnixFileMode)0x1ed);

        // The root must be a tmpfs (as the initrd's is) in a mount namespace of its own.
        string script = $"mount -t tmpfs -o mode=0755 tmpfs {root} && cp -a {root}.files/. {root}/ && exec unshare --pid --fork --root={root} /init /fake-agent.sh";
        Directory.Move(root, root + ".files");
        Directory.CreateDirectory(root);
        var info = new ProcessStartInfo("unshare") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in new[] { "--mount", "--propagation", "private", "sh", "-c", script })
        {
            info.ArgumentList.Add(arg);
        }
        using Process run = Process.Start(info)!;
        Task<string> stdout = run.StandardOutput.ReadToEndAsync();
        string stderr = run.StandardError.ReadToEnd();
        Assert.True(run.WaitForExit(TimeSpan.FromSeconds(60)), "ks-init did not end after its agent exited");

        Assert.Contains("agent exited (7); ending the VM", stderr);
        Assert.DoesNotContain("read-only failed", stderr);
        Assert.Equal([
            "/new-file refused", "/usr/bin/ks-spawn refused", "/new-dir refused",
            "/etc/resolv.conf writable", "/run/state writable", "/tmp/scratch writable", "root ro"],
            (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
