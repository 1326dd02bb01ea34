using System.Text.RegularExpressions;
using KataSharp.Linux.Processes;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Tests.Shim;
using KataSharp.Shim.Backend;
using KataSharp.Shim.Confinement;
using KataSharp.Vmm.Lifecycle;
using Xunit;

namespace KataSharp.Runtime.Tests.Confinement;

/// <summary>The shim's side of the confined VMM process: a VMM that cannot build its VM fails the sandbox's start with
/// the VMM's reason and leaves nothing behind; the VM's end is read from the process's end when the VMM cannot be
/// believed or did not say.</summary>
public sealed class ConfinedGuestMachineTests
{
    [Fact]
    public void A_vmm_that_cannot_build_its_vm_fails_the_start_naming_why_and_leaves_no_process_root_or_spec()
    {
        var shim = new ShimBinary(); // the published shim carries the vmm verb
        using var directory = new TempDirectory("ks-confined");
        string missing = directory.Combine("no-such-vmlinux");
        RuntimeConfiguration configuration = ConfigurationParser.Parse($"[hypervisor.katasharp]\nkernel = \"{missing}\"\ninitrd = \"{missing}.initrd\"\n", directory.Combine("c.toml"));
        var logText = new StringWriter();
        var log = new RuntimeLog(TextWriter.Synchronized(logText), debug: true, "sb-confined");

        var error = Assert.Throws<RuntimeException>(() => { ConfinedGuestMachine.Start(configuration, directory.Path, log, [], shim.Path).Dispose(); });

        Assert.Contains("cannot start the sandbox VM", error.Message);
        Assert.Contains(missing, error.Message);
        Assert.False(Directory.Exists(KataSharp.Runtime.Persistence.SandboxPaths.VmmRoot(directory.Path)), "the VMM's root is left");
        Assert.False(File.Exists(directory.Combine(ConfinedGuestMachine.SpecName)), "the VMM's spec is left");
        // The process it started (its pid from the shim's own debug line) is reaped: not a child of this process any more.
        // Not a count of this process's children: other tests start and reap processes in parallel.
        log.Dispose(); // its queued lines written
        Match started = Regex.Match(logText.ToString(), @"VMM process started: pid (\d+) \(unshare\)");
        Assert.True(started.Success, $"the start did not log the VMM's pid:\n{logText}");
        Assert.DoesNotContain(started.Groups[1].Value, Children());
    }

    [Fact]
    public void A_vmm_killed_by_its_filter_is_reported_as_such_naming_the_key_to_find_the_call()
    {
        VmExit exit = ConfinedGuestMachine.ExitFrom(null, ChildStatus.Killed(42, 31));
        Assert.Equal(VmExitReason.VmmError, exit.Reason);
        Assert.Contains("killed by its seccomp filter (SIGSYS)", exit.Message);
        Assert.Contains("vmm_seccomp = \"log\"", exit.Message);
    }

    [Fact]
    public void The_vmms_own_report_counts_only_when_its_process_ended_cleanly_and_is_escaped()
    {
        var record = new VmmMessage("exit") { Reason = "GuestPanic", Error = "Kernel panic\u001b[31m - not syncing" };
        VmExit clean = ConfinedGuestMachine.ExitFrom(record, ChildStatus.Exited(42, 0));
        Assert.Equal(VmExitReason.GuestPanic, clean.Reason);
        Assert.DoesNotContain('\u001b', clean.Message);

        // A report followed by a kill, or naming no reason we know, is not believed: the process's end is.
        Assert.Equal(VmExitReason.VmmError, ConfinedGuestMachine.ExitFrom(record, ChildStatus.Killed(42, 9)).Reason);
        Assert.Equal(VmExitReason.VmmError, ConfinedGuestMachine.ExitFrom(record with { Reason = "Everything" }, ChildStatus.Exited(42, 0)).Reason);
        Assert.Equal(VmExitReason.VmmError, ConfinedGuestMachine.ExitFrom(record with { Reason = "99" }, ChildStatus.Exited(42, 0)).Reason);
        Assert.Contains("exited with 3 without reporting", ConfinedGuestMachine.ExitFrom(null, ChildStatus.Exited(42, 3)).Message);
    }

    private static List<string> Children() =>
        [.. Directory.GetDirectories($"/proc/{Environment.ProcessId}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))];
}
