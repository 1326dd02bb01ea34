using System.Text.Json;
using System.Text.RegularExpressions;
using KataSharp.Confinement;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Processes;
using KataSharp.Linux.Sockets;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Tests.Shim;
using KataSharp.Shim.Backend;
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
        string vmm = PublishedBinary.Path(ConfinedVmmProcess.ProgramName);
        using var directory = new TempDirectory("ks-confined");
        string missing = directory.Combine("no-such-vmlinux");
        RuntimeConfiguration configuration = ConfigurationParser.Parse($"[hypervisor.katasharp]\nkernel = \"{missing}\"\ninitrd = \"{missing}.initrd\"\n", directory.Combine("c.toml"));
        var logText = new StringWriter();
        var log = new RuntimeLog(TextWriter.Synchronized(logText), debug: true, "sb-confined");

        var error = Assert.Throws<RuntimeException>(() => { ConfinedGuestMachine.Start(configuration, directory.Path, log, [], vmm).Dispose(); });

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
    public void Without_katasharp_sandbox_vmm_next_to_the_shim_the_start_fails_naming_the_path_and_the_fix_and_leaves_nothing()
    {
        // This test process's binary is dotnet's test host, with no katasharp-sandbox-vmm beside it.
        string expected = Path.Combine(Path.GetDirectoryName(Environment.ProcessPath)!, ConfinedVmmProcess.ProgramName);
        Assert.False(File.Exists(expected), $"{expected} exists: this test needs a directory without it");
        using var directory = new TempDirectory("ks-novmm");
        RuntimeConfiguration configuration = ConfigurationParser.Parse("[hypervisor.katasharp]\nkernel = \"/k\"\ninitrd = \"/i\"\n", directory.Combine("c.toml"));
        using var log = new RuntimeLog(TextWriter.Null, debug: false, "sb-novmm");

        var error = Assert.Throws<RuntimeException>(() => { ConfinedGuestMachine.Start(configuration, directory.Path, log, []).Dispose(); });

        Assert.Equal(RuntimeError.FailedPrecondition, error.Error);
        Assert.Contains(expected, error.Message);
        Assert.Contains("katasharp install", error.Message);
        Assert.False(Directory.Exists(KataSharp.Runtime.Persistence.SandboxPaths.VmmRoot(directory.Path)), "the VMM's root was made");
        Assert.False(File.Exists(directory.Combine(ConfinedGuestMachine.SpecName)), "the VMM's spec was written");
    }

    [Fact]
    public void A_sandbox_vmm_of_another_build_refuses_the_spec_naming_both_versions_before_it_builds_anything()
    {
        string vmm = PublishedBinary.Path(ConfinedVmmProcess.ProgramName);
        using var directory = new TempDirectory("ks-otherbuild");
        string specPath = directory.Combine("vmm.json");
        var spec = new VmmProcessSpec
        {
            Build = new BuildVersion("0.0.1", "0123456789ab"),
            Kernel = directory.Combine("no-such-vmlinux"), // never read: the build is checked first
            Cmdline = "console=ttyS0",
            Root = directory.Combine("root"),
        };
        File.WriteAllBytes(specPath, JsonSerializer.SerializeToUtf8Bytes(spec, VmmJsonContext.Default.VmmProcessSpec));
        var (ours, theirs) = SeqPacketSocket.CreatePair();
        using var channel = new VmmChannel(ours);
        int pid;
        using (theirs)
        {
            pid = ProcessSpawner.Spawn(vmm, [vmm, specPath], [], [(VmmDescriptors.Control, theirs.Descriptor)]);
        }

        VmmMessage? message = channel.Receive(out FileDescriptor? descriptor);
        ChildStatus status = ChildWait.Reap(pid);

        Assert.Null(descriptor);
        Assert.NotNull(message);
        Assert.Equal("failed", message.Op);
        Assert.Contains("but the shim is version 0.0.1 (commit 0123456789ab)", message.Error);
        Assert.Contains(BuildVersion.Current.Line(ConfinedVmmProcess.ProgramName), message.Error);
        Assert.Contains("katasharp install", message.Error);
        Assert.Equal(ChildStatus.Exited(pid, 1), status);
        Assert.False(Directory.Exists(spec.Root), "the VMM made its root");
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

    /// <summary>This process's children, read per thread; a thread that ends between the listing and the read is
    /// skipped (other tests' threads come and go: the full run of 2026-12-06 failed here on a vanished task).</summary>
    private static List<string> Children() =>
        [.. Directory.GetDirectories($"/proc/{Environment.ProcessId}/task").SelectMany(ChildrenOfTask)];

    private static string[] ChildrenOfTask(string task)
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            return [];
        }
    }
}
