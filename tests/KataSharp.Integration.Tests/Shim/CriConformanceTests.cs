using System.Globalization;
using KataSharp.TestHost;
using Xunit;
using Xunit.Abstractions;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// The areas of Kubernetes' CRI validation suite (critest) that <see cref="CriEndToEndTests"/> does not already cover,
/// on the same pods in the same run of tests/testhost/shim/cri.sh: runtime status, DNS config, stats, streaming
/// exec and attach, log reopening, the security context, container restart and port forwarding.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class CriConformanceTests(TestHostFixture fixture, ITestOutputHelper output)
{
    private Task<ShimScenario> RunAsync() =>
        ShimScenario.RunAsync(CriEndToEndTests.Run, fixture, ShimArtifacts.CriCommandAsync, ShimArtifacts.CriRunTimeout, CriEndToEndTests.IntendedVmExits);

    [Fact]
    public async Task RuntimeStatus_SaysTheRuntimeAndTheNetworkAreReady()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "runtime_status_exit");
        s.Contains("condition_RuntimeReady=true", "runtime_status_out");
        s.Contains("condition_NetworkReady=true", "runtime_status_out");
    }

    [Fact]
    public async Task ThePodsDnsConfig_IsTheContainersResolvConf()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "dns_exit");
        s.Contains("nameserver 10.88.77.53", "dns_out");
        s.Contains("search ks-cri.example", "dns_out");
        s.Contains("options ndots:2", "dns_out");
    }

    /// <summary>ContainerStats: CPU and memory of the container's cgroup in the guest, through the shim's Stats.</summary>
    [Fact]
    public async Task ContainerStats_ShowTheContainersCpuAndMemory()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "stats_exit");
        Dictionary<string, string> stats = Fields(s["stats_out"]);
        output.WriteLine(s["stats_out"]);
        Assert.True(Positive(stats, "cpu_usage_core_nanoseconds"), s["stats_out"]);
        Assert.True(Positive(stats, "memory_working_set_bytes"), s["stats_out"]);
        Assert.Equal("1", stats.GetValueOrDefault("timestamp_set"));
    }

    /// <summary>Exec through containerd's streaming server: stdin and a tty carried, stdout and stderr apart without one, the exit code back.</summary>
    [Fact]
    public async Task StreamingExec_CarriesStdinAndATty_OutputAndTheExitCode()
    {
        ShimScenario s = await RunAsync();
        s.Equal("5", "sexec_tty_exit");
        s.Contains("streamed-42", "sexec_tty_out");
        s.Equal("4", "sexec_exit");
        s.Equal("out-line", "sexec_out");
        s.Contains("err-line", "sexec_err");
    }

    [Fact]
    public async Task Attach_StreamsARunningContainersOutput()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "attach_exit");
        s.Contains("peer-tick-", "attach_out");
    }

    /// <summary>The kubelet's log rotation: the file renamed, ReopenContainerLog, and the container's next lines are in a new file.</summary>
    [Fact]
    public async Task ReopenContainerLog_AfterTheFileIsRenamed_WritesANewFile()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "reopen_exit");
        s.Contains(" stdout F peer-tick-", "reopened_log");
    }

    /// <summary>
    /// runAsUser/Group and a supplemental group, all capabilities dropped but NET_BIND_SERVICE (bit 10 of the bounding
    /// set; a non-root process has no effective ones), no_new_privs, containerd's RuntimeDefault seccomp profile (mode 2),
    /// a read-only rootfs, the kubelet's default masked (/proc/kcore reads empty) and read-only (/proc/sys) paths — against the app
    /// container, which asked for none of them.
    /// </summary>
    [Fact]
    public async Task SecurityContext_UserGroupsCapabilitiesSeccompNoNewPrivsReadOnlyRootAndMaskedPaths()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "sec_create_exit");
        s.Equal("0", "sec_start_exit");
        s.Equal("0", "sec_exit");
        s.Equal("1000", "sec_uid");
        s.Equal("3000", "sec_gid");
        Assert.Contains("4000", s["sec_groups"].Split(' '));
        s.Equal("0000000000000000", "sec_CapEff");
        s.Equal("0000000000000400", "sec_CapBnd");
        s.Equal("1", "sec_NoNewPrivs");
        s.Equal("2", "sec_Seccomp");
        s.Equal("1", "sec_rootfs_ro");
        s.Equal("0", "sec_kcore_bytes");
        s.Equal("ro", "sec_proc_sys");
        s.Equal("0", "app_sec_uid");
        s.Equal("0", "app_sec_Seccomp");
        s.Equal("0", "app_sec_NoNewPrivs");
        s.Equal("0", "app_sec_rootfs_ro");
        s.Equal("0", "sec_rm_exit");
    }

    /// <summary>
    /// containerd's RuntimeDefault profile, compiled by the agent with libseccomp, refuses what it refuses under runc:
    /// unshare and keyctl fail with EPERM (the profile's default action) while getpid works, in a process started by exec
    /// (ks-syscall-probe, mounted in; the host-side SeccompProfileTests show the same calls succeed without a profile).
    /// </summary>
    [Fact]
    public async Task RuntimeDefaultSeccomp_RefusesUnshareAndKeyctl_AsUnderRunc()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "sec_create_exit");
        s.Equal("0", "sec_sys_exit");
        s.Equal("EPERM", "sec_sys_unshare");
        s.Equal("EPERM", "sec_sys_keyctl");
        s.Equal("ok", "sec_sys_getpid");
    }

    /// <summary>A restart as the kubelet does it: the same name with the next attempt, in the same pod, runs to its exit.</summary>
    [Fact]
    public async Task AContainerRestartedWithTheNextAttempt_RunsInTheSamePod()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "twin_restart_create_exit");
        s.Equal("0", "twin_restart_start_exit");
        s.Equal("1", "twin_restart_exited");
        s.Equal("0", "twin_restart_exit_code");
        s.Contains("twin-restarted", "twin_restart_log");
        s.Equal("0", "twin_restart_rm_exit");
    }

    /// <summary>
    /// CRI port forwarding (<c>kubectl port-forward</c>): containerd 1.6 dials 127.0.0.1:PORT inside the pod's network
    /// namespace on the host. The runc pod's server answers there (the control); for the katasharp pod the shim's
    /// sk_lookup program steers the dial to the shim, which carries it to the agent and the app's server in the VM.
    /// A port nothing listens on in the guest ends in an error from containerd, quickly, not a hang.
    /// </summary>
    [Fact]
    public async Task PortForward_ReachesTheServerInTheVm_AsItDoesARuncPods()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "pf_runc_exit");
        s.Contains("ks-runc-pod-http-ok", "pf_runc_out");
        s.Equal("0", "pf_kata_exit");
        s.Contains("ks-pod-http-ok", "pf_kata_out");
        s.Equal("1", "pf_kata_closed_exit");
        Assert.True(int.Parse(s["pf_kata_closed_ms"], CultureInfo.InvariantCulture) < 30_000, $"port-forward to a closed port took {s["pf_kata_closed_ms"]} ms");
    }

    /// <summary>
    /// kubelet's hostPath volume of type BlockDevice (a bind of a host block device node) in a privileged container: the
    /// device goes on a spare virtio-blk slot, read-write, held exclusively while attached and given back when the
    /// container is removed. With the handler as `katasharp install` registers it (privileged_without_host_devices)
    /// containerd adds no devices rule for the device, so — as runc would with that spec — the node is there and
    /// open() is refused. (Reading and writing through an allowed bind: the agent's BlockVolumeMountTests.)
    /// </summary>
    [Fact]
    public async Task AHostBlockDevice_GoesOnAVirtioBlkSlot_IsRefusedWithoutADevicesRule_AndIsGivenBack()
    {
        ShimScenario s = await RunAsync();
        s.Equal("", "blk_losetup_err");
        s.Equal("0", "blk_create_exit");
        s.Equal("0", "blk_start_exit");
        s.Equal("1", "blk_attached");
        s.Equal("block special file", "blk_node_out");
        Assert.NotEqual("0", s["blk_read_exit"]);
        s.Contains("Permission denied", "blk_read_err");
        s.Equal("1", "blk_held");
        s.Equal("0", "blk_rm_exit");
        s.Equal("1", "blk_released");
    }

    private static Dictionary<string, string> Fields(string flat) =>
        flat.Split('|').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static bool Positive(Dictionary<string, string> fields, string key) =>
        fields.TryGetValue(key, out string? v) && ulong.TryParse(v, CultureInfo.InvariantCulture, out ulong n) && n > 0;
}
