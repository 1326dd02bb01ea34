using KataSharp.Integration.Tests.Agent;
using KataSharp.TestHost;
using Xunit;
using Xunit.Abstractions;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// The product's front door, end to end in the nested test host: real containerd 1.6 and ctr,
/// `katasharp install`, a locally built busybox image, and containers in L2 microVMs booted by the
/// shim's embedded VMM. One shared scenario run (tests/testhost/shim/e2e.sh) per class; each fact
/// asserts its own part and shows the shim/guest log when it fails.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class ShimEndToEndTests(TestHostFixture fixture, ITestOutputHelper output)
{
    private static readonly SharedRun Run = new();

    private Task<ShimScenario> RunAsync() =>
        ShimScenario.RunAsync(Run, fixture, ShimArtifacts.E2eCommandAsync, ShimArtifacts.RunTimeout);

    [Fact]
    public async Task CtrRun_UnameR_PrintsTheGuestKernelRelease()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "run_uname_exit");
        s.Equal(await AgentArtifacts.KernelReleaseAsync(), "run_uname_out");
        s.Equal(s["kernel_release"], "run_uname_out");
    }

    /// <summary>
    /// Issue 11: the VMM of a running pod is a process of its own (shim → unshare → VMM) with no capabilities in any
    /// thread, no_new_privs and a seccomp filter on every thread, its own uid (not root), not dumpable, its own mount, PID,
    /// network, IPC and UTS namespaces, a mount table of one read-only root holding only its vsock sockets, rlimits, and
    /// the shim's (so the pod's) cgroup.
    /// </summary>
    [Fact]
    public async Task TheVmmRunsConfined_NoCapabilities_SeccompOnEveryThread_OwnNamespacesAndUid_AnEmptyReadOnlyRoot()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "vmm_found");
        s.Contains("katasharp-sandbox-vmm /run/katasharp/ks-long/vmm.json", "vmm_cmdline");
        string[] uids = s["vmm_uid"].Split(' ');
        Assert.True(uids.Length == 4 && uids.Distinct().Count() == 1 && uint.Parse(uids[0]) >= 1_000_000_000, $"vmm_uid: {s["vmm_uid"]}");
        s.Equal(s["vmm_uid"], "vmm_gid");
        s.Equal("", "vmm_groups");
        s.Equal("0000000000000000", "vmm_capeff");
        s.Equal("0000000000000000", "vmm_capprm");
        s.Equal("0000000000000000", "vmm_thread_capeff");
        s.Equal("1", "vmm_nnp");
        s.Equal("2", "vmm_seccomp");
        s.Equal("1", "vmm_thread_nnp");
        s.Equal("2", "vmm_thread_seccomp");
        s.Equal("0", "vmm_proc_owner");
        Assert.NotEqual(s["ctd_mnt_ns"], s["vmm_mnt_ns"]);
        foreach (string ns in new[] { "pid", "net", "ipc", "uts" })
        {
            s.Equal("1", $"vmm_{ns}_ns_differs");
        }
        string[] mounts = s["vmm_mounts"].Split('|');
        Assert.True(mounts.Length == 1 && mounts[0].StartsWith("/ ro,", StringComparison.Ordinal), $"vmm_mounts: {s["vmm_mounts"]}");
        s.Equal("vsock.sock|vsock.sock_1025", "vmm_root_entries");
        s.Equal(s["shim_cgroup"], "vmm_cgroup");
        s.Equal("0", "vmm_limit_core");
        s.Equal("1024", "vmm_limit_nofile");
        s.Equal("256", "vmm_limit_nproc");
    }

    /// <summary>
    /// Issue 15: once the pod is quiet (MemoryTrim.QuietPeriod after its start) the shim and the confined VMM unmap
    /// the pages of their binaries that only the start used: by then fault-around had mapped nearly all of each (shim 11
    /// of its 13 MiB, VMM 3.9 of 4.5 MiB). Quiet, the shim keeps under half of its binary mapped, the VMM — asked over
    /// its control channel — under three quarters.
    /// </summary>
    [Fact]
    public async Task AQuietPod_TheShimAndTheVmmReleaseTheirBinariesUnusedPages()
    {
        ShimScenario s = await RunAsync();
        long shimFile = long.Parse(s["shim_image_file_kib"]), vmmFile = long.Parse(s["vmm_image_file_kib"]);
        long shimQuiet = long.Parse(s["shim_image_rss_kib_quiet"]), vmmQuiet = long.Parse(s["vmm_image_rss_kib_quiet"]);
        Assert.True(shimQuiet < shimFile / 2, $"shim's binary: {shimQuiet} KiB of {shimFile} KiB resident once quiet");
        Assert.True(vmmQuiet < vmmFile * 3 / 4, $"VMM's binary: {vmmQuiet} KiB of {vmmFile} KiB resident once quiet");
    }

    /// <summary>Issue 11: a system call outside the filter's allowlist, made on the VMM's control thread (the test hook),
    /// kills the VMM; the shim reports the VM's death (every process exited 137, the cause named) and nothing is left.</summary>
    [Fact]
    public async Task AForbiddenSyscallInTheVmm_KillsIt_AndTheSandboxsDeathIsReportedCleanly()
    {
        ShimScenario s = await RunAsync();
        s.Equal("137", "forbid_exit");
        Assert.True(int.Parse(s["forbid_reported"]) >= 1, $"the shim log never said the VMM was killed by its seccomp filter\n{s.Log}");
        // L1's kernel log names every seccomp kill: only the hook's netlink socket(2) (41) on the control thread.
        string[] kills = s["vmm_seccomp_kills"].Split('|', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(kills.Length == 1 && System.Text.RegularExpressions.Regex.IsMatch(kills[0], @"^vmm-control:41x[0-9]+$"),
            $"seccomp kills in L1's kernel log (thread:syscall x count): '{s["vmm_seccomp_kills"]}'\n{s.Log}");
        s.Equal("0", "forbid_vmm_left");
        s.Equal("0", "forbid_state_left");
        s.Equal("0", "forbid_listed");
    }

    /// <summary>
    /// Issue 16: `katasharp metrics ks-long` prints the pod's metrics from its shim's metrics.sock (mode 0600), and
    /// `katasharp monitor` scraped over HTTP while the pod runs shows its device counters non-zero (the layers were read
    /// through virtio-blk, the agent reached over vsock, the vCPUs exited), the shim's and the confined VMM's RSS, the guest
    /// container's memory, a VMM that answered and had nothing of its answer rejected; SIGTERM stops the monitor cleanly.
    /// </summary>
    [Fact]
    public async Task Metrics_KatasharpMonitorShowsTheRunningPodsDeviceCounters()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "metrics_exit");
        Assert.True(int.Parse(s["metrics_series"]) > 20, $"metrics_series: {s["metrics_series"]}");
        s.Equal("600", "metrics_socket_mode");
        s.Contains("serving the metrics", "monitor_out");
        s.Equal("0", "monitor_exit");
        s.Equal("1", "monitor_scrapes");
        foreach (string key in new[] { "monitor_block_reads", "monitor_block_read_bytes", "monitor_vsock_connections", "monitor_vcpu_exits",
            "monitor_shim_rss", "monitor_shim_fds", "monitor_vmm_rss", "monitor_guest_memory" })
        {
            Assert.True(long.Parse(s[key]) > 0, $"{key}: expected > 0, got '{s[key]}'\n{s.Log}");
        }
        s.Equal("1", "monitor_vmm_up");
        s.Equal("0", "monitor_vmm_rejected");
    }

    [Fact]
    public async Task ExitCodePropagates_Seven()
    {
        ShimScenario s = await RunAsync();
        s.Equal("7", "run_exit7_exit");
    }

    [Fact]
    public async Task StdinPipedThroughCtrRun_ReachesTheContainer_AndEndOfInputCloses()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "stdin_exit");
        s.Equal("got:ping|got:pong|eof", "stdin_out");
    }

    [Fact]
    public async Task CtrRunT_OnATerminal_RunsAnInteractiveShell()
    {
        ShimScenario s = await RunAsync();
        s.Equal("5", "tty_exit");
        s.Contains("sum-42", "tty_out");
        s.Contains("tty=/dev/pts/", "tty_out");
    }

    [Fact]
    public async Task Exec_SeesTheGuestKernel_NotTheHosts()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "long_running");
        s.Equal("0", "exec_version_exit");
        s.Contains(s["kernel_release"], "exec_version_out");
        Assert.NotEqual(s["l1_proc_version"], s["exec_version_out"]);
        s.Equal(s["kernel_release"], "exec_uname_out");
        s.Equal("3", "exec_exit3_exit");
    }

    [Fact]
    public async Task Exec_WithStdin_AndWithATerminal()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "exec_stdin_exit");
        s.Equal("hello-stdin", "exec_stdin_out");
        s.Equal("4", "exec_tty_exit");
        s.Contains("/dev/pts/", "exec_tty_out");
    }

    /// <summary>`katasharp exec` with [runtime] debug_console on (the long-running pod, booted from the debug-shell initrd):
    /// the shell runs in the guest — its pid 1 is ks-init, its root has the agent — where the container's pid 1 is the
    /// container's sh; a command's exit code, a script on stdin, and a terminal with the local size come through.</summary>
    [Fact]
    public async Task KatasharpExec_WithDebugConsole_RunsInTheGuest_NotInAContainer()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "long_running");
        s.Equal("1", "dc_config_restored");
        s.Equal("6", "dc_cmd_exit");
        s.Contains("/init |agent-binary-here|" + s["kernel_release"], "dc_cmd_out");
        s.Equal("0", "exec_pid1_exit");
        s.Contains("sh -c trap", "exec_pid1_out");
        s.DoesNotContain("/init", "exec_pid1_out");
        s.Equal("0", "dc_stdin_exit");
        s.Equal("from-stdin-42", "dc_stdin_out");
        s.Equal("5", "dc_tty_exit");
        s.Contains("33 99", "dc_tty_out");
        s.Contains("tty-42", "dc_tty_out");
        s.Contains("terminal-restored", "dc_tty_out");
    }

    [Fact]
    public async Task KatasharpExec_WithoutDebugConsole_IsRefusedNamingTheKey()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "k9_running");
        s.Equal("1", "k9_dc_refused_exit");
        s.Contains("[runtime] debug_console", "k9_dc_refused_out");
    }

    [Fact]
    public async Task SecondContainerOfAPod_SharesTheShimAndVm_AndLeavesTheFirstRunning()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "pod2_run_exit");
        s.Equal(s["long_shim_pid"], "pod2_shim_pid");
        s.Equal(s["kernel_release"], "pod2_uname_out");
        s.Equal("0", "pod2_delete_exit");
        s.Equal("0", "pod2_container_delete_exit");
        s.Equal("RUNNING", "pod2_first_still");
        s.Equal("still-here", "pod2_after_out");
    }

    /// <summary>
    /// A host block device bound into a container whose devices cgroup allows it (ctr's --privileged) is the guest's
    /// disk in a spare block slot, read-write: what the container writes is on the host's device afterwards.
    /// </summary>
    [Fact]
    public async Task HostBlockDevice_BoundReadWrite_TakesTheContainersWrites()
    {
        ShimScenario s = await RunAsync();
        s.Equal("", "blk_losetup_err");
        s.Equal("0", "blk_run_exit");
        s.Equal("0", "blk_write_exit");
        s.Contains("written", "blk_write_out");
        s.Equal("0", "blk_delete_exit");
        s.Equal("KS-WRITTEN", "blk_host_read");
    }

    [Fact]
    public async Task Ps_ListsTheContainersProcesses_AndMetricsShowItsCgroup()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "ps_exit");
        Assert.True(s["ps_out"].Split('|').Skip(1).Count(l => l.Trim().Length > 0) >= 2, $"ctr task ps: {s["ps_out"]}\n{s.Log}");
        s.Equal("0", "metrics_exit");
        s.Contains("memory", "metrics_out");
        s.Contains("pids", "metrics_out");
    }

    [Fact]
    public async Task Kill_Term143_Kill137()
    {
        ShimScenario s = await RunAsync();
        s.Equal("143", "kill_term_exec_exit");
        s.Equal("137", "kill_kill_exec_exit");
        s.Equal("143", "kill_term_init_exit");
        s.Contains("got-term", "long_out");
        s.Equal("1", "long_shim_gone");
    }

    [Fact]
    public async Task PauseAndResume()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "pause_exit");
        s.Equal("PAUSED", "paused_status");
        s.Equal("0", "resume_exit");
        s.Equal("RUNNING", "resumed_status");
    }

    /// <summary>
    /// containerd 1.6 handles a dead shim itself (ttrpc connection closed → `shim delete` → TaskExit →
    /// the task is forgotten), so afterwards `ctr task delete` either succeeds or says the task is not
    /// found — exactly what it says for runc, measured in the same run. Nothing may be left.
    /// </summary>
    [Fact]
    public async Task ShimKilledWithSigkill_DeleteSucceeds_AndNothingIsLeft()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "k9_running");
        s.Equal("1", "k9_had_state");
        // [runtime] console_log_max_kib's file: there while the sandbox runs, owner-only, holding the console's lines
        // (the state dir's removal, checked below, takes it along).
        s.Equal("600", "k9_console_log_mode");
        Assert.True(int.TryParse(s["k9_console_log_agent_lines"], out int agentLines) && agentLines > 0,
            $"no katasharp-agent line in the console file: '{s["k9_console_log_agent_lines"]}'\n{s.Log}");
        s.Equal("1", "k9_had_socket");
        Assert.True(s["k9_task_delete_exit"] == "0" || (s["k9_task_delete_out"].Contains("not found") && s["rc_k9_task_delete_exit"] == s["k9_task_delete_exit"]),
            $"ctr task delete after kill -9: {s["k9_task_delete_exit"]} {s["k9_task_delete_out"]} (runc: {s["rc_k9_task_delete_exit"]} {s["rc_k9_task_delete_out"]})\n{s.Log}");
        s.Equal("0", "k9_container_delete_exit");
        s.Equal("0", "k9_listed_after_delete");
        s.Equal("0", "k9_shim_alive");
        s.Equal("0", "k9_state_left");
        s.Equal("0", "k9_socket_left");
        s.Equal("0", "k9_bundle_left");
        s.Equal("0", "k9_mounts_left");
    }

    [Fact]
    public async Task TwentyRunDeleteCycles_EachCarriesStdinToStdout_AndExitsZero()
    {
        ShimScenario s = await RunAsync();
        s.Equal("20", "cycles");
        output.WriteLine($"ctr run --rm per cycle (ms): {s["cycle_ms"]}");
        // Only in the nested test host, and recorded (NestedHostRetryPolicy): a cycle whose VM
        // triple-faulted got one more try. More than a few is no longer the rare crash of that host.
        string[] retried = s.BootRetries;
        output.WriteLine($"cycles whose boot was retried after a triple fault in the nested test host: {(s["cycle_boot_retries"] is { Length: > 0 } cycles ? cycles : "none")}");
        Assert.True(retried.Length <= NestedHostRetryPolicy.MaxCycleRetries, $"{retried.Length} of 20 cycles triple-faulted (cycles {s["cycle_boot_retries"]}; at most {NestedHostRetryPolicy.MaxCycleRetries} are put down to the nested test host)\n{s.Log}");
        string[] exits = s.PerCycle("cycle_exits");
        string[] outs = s.PerCycle("cycle_outs");
        for (int i = 0; i < exits.Length; i++)
        {
            Assert.True(exits[i] == "0" && outs[i] == $"got:c{i + 1}",
                $"cycle {i + 1}: exit {exits[i]}, output '{outs[i]}' ({s.Values.GetValueOrDefault($"cycle_{i + 1}_err")}); times {s["cycle_ms"]}\n{s.Log}");
        }
    }

    /// <summary>
    /// A leak in any cycle shows as a count that is not zero (or that grows): shims, state dirs,
    /// sockets, mounts, loop devices, half-written layer images, layer images for an image already
    /// cached, VMs the kernel's KVM still holds (its modules' reference counts), containerd's open
    /// files (a FIFO or socket per cycle would add 20) and L1's free memory (a VM kept alive would
    /// hold its 256 MiB).
    /// </summary>
    [Fact]
    public async Task TwentyRunDeleteCycles_LeaveNothingBehind()
    {
        ShimScenario s = await RunAsync();
        foreach (string key in new[] { "cycle_shims", "cycle_state", "cycle_sockets", "cycle_mounts", "cycle_layer_tmp" })
        {
            Assert.True(s.PerCycle(key).All(v => v == "0"), $"{key} after each cycle: {s[key]}\n{s.Log}");
        }
        foreach (string key in new[] { "cycle_loops", "cycle_images" })
        {
            Assert.True(s.PerCycle(key).Distinct().Count() == 1, $"{key} after each cycle must not change: {s[key]}\n{s.Log}");
        }
        Assert.True(s.PerCycle("cycle_images")[0] != "0", $"the layer cache holds no erofs image\n{s.Log}");
        // One .source record (the layer directory, for katasharp gc) per image, no more.
        Assert.True(s.PerCycle("cycle_layer_sources").SequenceEqual(s.PerCycle("cycle_images")),
            $"cycle_layer_sources {s["cycle_layer_sources"]} against cycle_images {s["cycle_images"]}\n{s.Log}");
        int kvmBefore = int.Parse(s["cycle_kvm_refs_before"]);
        Assert.True(s.PerCycle("cycle_kvm_refs").All(v => int.Parse(v) <= kvmBefore),
            $"KVM still held a VM after a cycle (module references {s["cycle_kvm_refs"]}; {kvmBefore} before the cycles)\n{s.Log}");
        int fdGrowth = int.Parse(s["cycle_last_ctd_fds"]) - int.Parse(s["cycle_first_ctd_fds"]);
        Assert.True(fdGrowth < 10, $"containerd's open files grew by {fdGrowth} over the cycles ({s["cycle_first_ctd_fds"]} → {s["cycle_last_ctd_fds"]})\n{s.Log}");
        long memDropKib = long.Parse(s["cycle_first_mem_avail_kib"]) - long.Parse(s["cycle_last_mem_avail_kib"]);
        Assert.True(memDropKib < 96 * 1024, $"the test host's available memory fell by {memDropKib} KiB over the cycles\n{s.Log}");
    }

    [Fact]
    public async Task AfterEverything_NoTaskShimStateOrSocketRemains()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "tasks_left");
        s.Equal("0", "containers_left");
        s.Equal("0", "shims_left");
        s.Equal("0", "state_dirs_left");
        s.Equal("0", "shim_sockets_left");
        Assert.True(int.Parse(s["layer_cache_images"]) >= 1, $"the layer cache holds no erofs image\n{s.Log}");
    }

    [Fact]
    public async Task NoSandboxVmExitsOnItsOwn() => (await RunAsync()).NoUnexpectedVmExits(output, intendedExits: ["VmmError"]); // ks-forbid's
}
