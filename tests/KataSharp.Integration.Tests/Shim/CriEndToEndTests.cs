using System.Globalization;
using KataSharp.Integration.Tests.Agent;
using KataSharp.TestHost;
using Xunit;
using Xunit.Abstractions;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// The Kubernetes path, end to end in the nested test host: containerd 1.6's CRI plugin with the
/// runtime handler `katasharp` (registered by `katasharp install`), driven by katasharp-criprobe as
/// the kubelet would (there is no kubelet or crictl here). One pod — its pause container and an app
/// container — in one L2 microVM, on a CNI network (Debian's bridge + host-local plugins; the bridge in a
/// network namespace of the scenario's own, "L1's side"). One shared scenario run (tests/testhost/shim/cri.sh)
/// per class; each fact asserts its own part and shows the shim/guest log when it fails.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class CriEndToEndTests(TestHostFixture fixture, ITestOutputHelper output)
{
    /// <summary>The one run of cri.sh, shared with <see cref="CriConformanceTests"/>.</summary>
    internal static readonly SharedRun Run = new();

    /// <summary>The one VM exit the scenario causes: the doomed pod's guest kernel panics (on OOM, as asked).</summary>
    internal static readonly string[] IntendedVmExits = ["GuestPanic"];

    private Task<ShimScenario> RunAsync() =>
        ShimScenario.RunAsync(Run, fixture, ShimArtifacts.CriCommandAsync, ShimArtifacts.CriRunTimeout, IntendedVmExits);

    [Fact]
    public async Task CriPlugin_Answers_KnowsThePauseImage_AndTheKatasharpHandler()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "version_exit");
        s.Contains("runtime_name=containerd", "version_out");
        s.Contains("runtime_api_version=v1", "version_out");
        s.Equal("0", "pause_image_exit");
        s.Equal("1", "registered");
    }

    [Fact]
    public async Task RunPodSandbox_WithHandlerKatasharp_IsReady()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "runp_exit");
        Assert.True(s["sandbox_id"].Length == 64, $"sandbox id '{s["sandbox_id"]}'\n{s.Log}");
        s.Equal(s["sandbox_id"], "runp_out");
        s.Contains("state=SANDBOX_READY", "podstatus_out");
        s.Contains("runtime_handler=katasharp", "podstatus_out");
    }

    [Fact]
    public async Task AppContainer_IsCreatedAndStartedInThePod()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "create_exit");
        s.Equal(s["container_id"], "create_out");
        s.Equal("0", "start_exit");
        s.Equal("1", "app_running");
        s.Contains("state=CONTAINER_RUNNING", "status_out");
    }

    [Fact]
    public async Task ExecSync_UnameR_IsTheGuestKernel_AndExitCodesComeBack()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "exec_uname_exit");
        s.Equal(await AgentArtifacts.KernelReleaseAsync(), "exec_uname_out");
        s.Equal(s["kernel_release"], "exec_uname_out");
        Assert.NotEqual(s["l1_kernel_release"], s["exec_uname_out"]);
        s.Equal("3", "exec_exit3_exit");
    }

    /// <summary>CRI hands both containers the pod's /dev/shm directory and small files (hosts, hostname, resolv.conf).</summary>
    [Fact]
    public async Task PodShm_IsAWritableTmpfsInTheGuest_AndTheEtcFilesAreCopiedIn()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "exec_shm_exit");
        s.Contains("shm /dev/shm tmpfs", "exec_shm_out");
        s.Contains("shm-ok", "exec_shm_out");
        s.Equal("0", "exec_files_exit");
        s.Equal("files-ok", "exec_files_out");
    }

    /// <summary>
    /// Every task of the pod reports the shim's pid, there is one shim, it holds one KVM VM, and the
    /// pause container (through ctr) and the app container (through CRI) see the same guest boot.
    /// </summary>
    [Fact]
    public async Task SandboxAndAppContainer_ShareOneShimAndOneVm()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "distinct_task_pids");
        s.Contains(s["sandbox_id"], "task_pids");
        s.Contains(s["container_id"], "task_pids");
        s.Equal("1", "shim_count");
        s.Equal(s["shim_pid"], "sandbox_task_pid");
        s.Equal("1", "shim_kvm_vms");
        s.Equal("0", "app_boot_id_exit");
        Assert.True(s["sandbox_boot_id"].Length == 36, $"sandbox boot id '{s["sandbox_boot_id"]}'\n{s.Log}");
        s.Equal(s["sandbox_boot_id"], "app_boot_id_out");
    }

    [Fact]
    public async Task AppStdout_ReachesCrisContainerLog()
    {
        ShimScenario s = await RunAsync();
        s.Contains($"stdout F app-start {s["kernel_release"]}", "app_log");
    }

    [Fact]
    public async Task HostDirectoryVolume_FailsStartNamingTheMount_AndThePodLivesOn()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "vol_create_exit");
        Assert.NotEqual("0", s["vol_start_exit"]);
        Assert.True(s["vol_start_err"].Contains("→ /data", StringComparison.Ordinal) && s["vol_start_err"].Contains("shares no host directory", StringComparison.Ordinal),
            $"vol_start_err: {s["vol_start_err"]}\n{s.Log}");
        s.Equal("0", "vol_rm_exit");
        s.Equal("still-here", "after_vol_out");
    }

    /// <summary>A hostPort (CNI portmap's DNAT on L1's side) reaches the app's server in the VM; RemovePodSandbox takes the rules away.</summary>
    [Fact]
    public async Task AHostPort_ReachesTheAppsServerInTheVm_AndItsRulesGoWithThePod()
    {
        ShimScenario s = await RunAsync();
        Assert.True(int.TryParse(s["host_port_dnat"], out int rules) && rules >= 1, $"host_port_dnat '{s["host_port_dnat"]}': no DNAT rule to the pod\n{s.Log}");
        s.Equal("ks-pod-http-ok", "host_port_http");
        s.Equal("0", "host_port_dnat_left");
    }

    /// <summary>
    /// Mixed RuntimeClasses on one CNI bridge: a runc pod (containerd's default handler, on L1's kernel) and the katasharp
    /// pod (in its VM) reach each other's HTTP servers over their pod IPs, and the runc pod goes away cleanly.
    /// </summary>
    [Fact]
    public async Task ARuncPodAndTheKatasharpPod_OnOneBridge_ReachEachOther()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "runc_runp_exit");
        Assert.Matches(@"^10\.88\.77\.\d+$", s["runc_pod_ip"]);
        Assert.NotEqual(s["pod_ip"], s["runc_pod_ip"]);
        s.Equal("0", "runc_start_exit");
        s.Equal(s["l1_kernel_release"], "runc_uname_out");
        s.Equal("0", "kata_to_runc_exit");
        s.Equal("ks-runc-pod-http-ok", "kata_to_runc_out");
        s.Equal("0", "runc_to_kata_exit");
        s.Equal("ks-pod-http-ok", "runc_to_kata_out");
        s.Equal("0", "runc_rm_exit");
        s.Equal("0", "runc_rmp_exit");
    }

    /// <summary>
    /// kubelet's configmap, secret and projected (service-account token) volumes, laid out by its atomic writer, are in the
    /// container with that layout, their content and modes, read-only as mounted: copied in, there being no shared filesystem.
    /// </summary>
    [Fact]
    public async Task KubeletVolumes_AreCopiedIn_WithKubeletsLayout_AndReadOnlyAsMounted()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "create_exit");
        s.Equal("0", "vol_app_exit");
        s.Equal("hello-v1", "vol_app_greeting");
        s.Equal("blue", "vol_app_mode");
        s.Equal("..2026_12_05_00_00_01.1", "vol_app_data_link");
        s.Equal("..data/greeting", "vol_app_key_link");
        s.Equal("s3cret", "vol_app_password");
        s.Equal("600", "vol_app_password_mode");
        s.Equal("ks-token", "vol_app_token");
        s.Equal("default", "vol_app_sa_namespace");
        s.Equal("1", "vol_app_config_ro");
    }

    /// <summary>kubelet's update (a new generation, the ..data switch, the old generation removed) reaches the running container.</summary>
    [Fact]
    public async Task AConfigmapUpdate_ByKubeletsDataSwitch_ReachesTheRunningContainer()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "vol_update_exit");
        s.Equal("hello-v2,green,..2026_12_05_00_00_02.2", "vol_update_out");
    }

    /// <summary>Two containers of the pod share an emptyDir and the pod's /dev/shm (one tmpfs per pod in the guest).</summary>
    [Fact]
    public async Task EmptyDirAndDevShm_AreSharedByThePodsContainers()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "vol_app_written");
        s.Equal("0", "peer_create_exit");
        s.Equal("0", "peer_start_exit");
        s.Equal("0", "peer_reads_exit");
        s.Equal("from-app,from-app-shm", "peer_reads_out");
        s.Equal("0", "peer_rm_exit");
    }

    [Fact]
    public async Task AVolumeOverThePerVolumeLimit_FailsStartNamingTheVolumeAndTheKey()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "big_create_exit");
        Assert.NotEqual("0", s["big_start_exit"]);
        Assert.True(s["big_start_err"].Contains("too-big", StringComparison.Ordinal) && s["big_start_err"].Contains("volume_max_mib", StringComparison.Ordinal),
            $"big_start_err: {s["big_start_err"]}\n{s.Log}");
        s.Equal("0", "big_rm_exit");
    }

    [Fact]
    public async Task StopAndRemove_InTheKubeletsOrder()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "stop_exit");
        s.Contains("state=CONTAINER_EXITED", "status_after_stop_out");
        s.Contains("exit_code=143", "status_after_stop_out");
        s.Equal("0", "rm_exit");
        s.Equal("0", "stopp_exit");
        s.Equal("0", "rmp_exit");
    }

    [Fact]
    public async Task AfterRemoval_NoPodTaskShimStateSocketOrMountRemains()
    {
        ShimScenario s = await RunAsync();
        foreach (string key in new[] { "pods_left", "cri_containers_left", "tasks_left", "containers_left", "shims_left", "state_dirs_left", "shim_sockets_left", "mounts_left", "shm_mounts_left" })
        {
            s.Equal("0", key);
        }
    }

    /// <summary>host-local's address and the veth's MAC and MTU reach the guest's eth0 (the agent found it by that MAC).</summary>
    [Fact]
    public async Task PodOnACniBridge_TheGuestsEth0HasTheHostLocalIp_TheVethsMacAndMtu_AndTheDefaultRoute()
    {
        ShimScenario s = await RunAsync();
        Assert.True(s["pod_netns"].StartsWith("/var/run/netns/cni-", StringComparison.Ordinal), $"pod_netns '{s["pod_netns"]}'\n{s.Log}");
        Assert.True(s["pod_ip"].StartsWith("10.88.77.", StringComparison.Ordinal), $"pod_ip '{s["pod_ip"]}'\n{s.Log}");
        s.Equal($"{s["pod_ip"]}/24", "veth_inet");
        Assert.True(s["veth_mac"].Length == 17, $"veth_mac '{s["veth_mac"]}'\n{s.Log}");
        s.Equal("0", "guest_net_exit");
        s.Equal(s["veth_inet"], "guest_eth0_inet");
        s.Equal(s["veth_mac"], "guest_eth0_mac");
        s.Equal(s["veth_mtu"], "guest_eth0_mtu");
        s.Contains("default via 10.88.77.1 dev eth0", "guest_default_route");
    }

    /// <summary>
    /// CRI names a network namespace by path in every container's spec; in the guest the path means "the pod's
    /// network": the app container and the pause container run in the one network namespace holding eth0.
    /// </summary>
    [Fact]
    public async Task ThePodsContainers_ShareTheGuestNetworkNamespace()
    {
        ShimScenario s = await RunAsync();
        Assert.True(s["app_spec_netns"].Length > 0, $"the app container's spec named no network namespace path\n{s.Log}");
        Assert.True(s["app_netns"].StartsWith("net:[", StringComparison.Ordinal), $"app_netns '{s["app_netns"]}'\n{s.Log}");
        s.Equal(s["app_netns"], "sandbox_netns");
    }

    /// <summary>
    /// CRI points the app container at /proc/&lt;sandbox pid&gt;/ns/{ipc,uts,pid} (the pod has shareProcessNamespace); in the
    /// guest it joined the pause container's namespaces: the same namespaces, the pod's hostname, a message queue the pause
    /// container made, and the pause process as its pid 1.
    /// </summary>
    [Fact]
    public async Task TheAppContainer_SharesThePauseContainersIpcUtsAndPidNamespaces()
    {
        ShimScenario s = await RunAsync();
        foreach (string ns in new[] { "ipc", "uts", "pid" })
        {
            Assert.True(s[$"sandbox_ns_{ns}"].StartsWith($"{ns}:[", StringComparison.Ordinal), $"sandbox_ns_{ns} '{s[$"sandbox_ns_{ns}"]}'\n{s.Log}");
            s.Equal(s[$"sandbox_ns_{ns}"], $"app_ns_{ns}");
        }
        s.Equal("ks-cri-pod-host", "sandbox_ns_host");
        s.Equal("ks-cri-pod-host", "app_ns_host");
        s.Equal("made", "sandbox_ns_mq");
        s.Equal("ks-pod-queue", "app_ns_mq");
        s.Equal("sleep", "app_ns_pid1");
        s.Contains("2147483647", "app_ns_ps"); // the pause process (sleep 2147483647)...
        s.Contains("httpd", "app_ns_ps"); // ...next to the app's own
    }

    /// <summary>The pod sandbox's sysctls are written in the pause container (they used to fail Create with EROFS); the app
    /// container sees the ipc ones through the ipc namespace it joined, and the net one in the pod's network namespace.</summary>
    [Fact]
    public async Task ThePodsSysctls_AreSetInThePauseContainer_AndSeenByTheAppContainer()
    {
        ShimScenario s = await RunAsync();
        s.Equal("0", "runp_exit");
        foreach (string who in new[] { "sandbox", "app" })
        {
            s.Equal("1", $"{who}_ns_shm_rmid_forced");
            s.Equal("12345", $"{who}_ns_msgmax");
            s.Equal("1000", $"{who}_ns_port_start");
        }
    }

    [Fact]
    public async Task L1ReachesThePodsHttpServer_OverThePodIp_AndThePodReachesTheBridgeAddress()
    {
        ShimScenario s = await RunAsync();
        s.Equal("ks-pod-http-ok", "host_to_pod_http");
        s.Equal("0", "guest_net_exit");
        s.Equal("ks-host-http-ok", "pod_to_host_http");
    }

    /// <summary>Kata's tcfilter model in the pod's namespace: a tap next to the veth, each ingress redirected to the other.</summary>
    [Fact]
    public async Task WhileThePodRuns_ItsNamespaceHoldsATap_WithTcRedirectsBothWays()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "netns_held");
        s.Equal("eth0,lo,tap0_kata", "pod_netns_links");
        s.Equal("tun type tap", "tap_kind");
        s.Contains("mirred (Egress Redirect to device tap0_kata)", "eth0_ingress");
        s.Contains("mirred (Egress Redirect to device eth0)", "tap_ingress");
        s.Equal("tap0_kata", "pod_network_attached");
    }

    /// <summary>
    /// The shim removes what it added (its structured log says so, nothing failed), then CNI DEL deletes the veth and
    /// containerd the namespace: the namespace, held open by the scenario, ends with loopback only, host-local has the
    /// address back and the bridge has no port left.
    /// </summary>
    [Fact]
    public async Task AfterStopAndRemove_NoTapFilterOrQdiscIsLeft_AndCniDelRan()
    {
        ShimScenario s = await RunAsync();
        s.Equal("tap0_kata", "pod_network_detached");
        s.Equal("", "pod_network_teardown");
        // The kernel's own account: deleted by request, not with CNI DEL's veth (which reports neither).
        foreach (string deleted in new[] { "deleted filter dev eth0 ", "deleted qdisc ingress ffff: dev eth0 ",
                     "deleted filter dev tap0_kata ", "deleted qdisc ingress ffff: dev tap0_kata " })
        {
            s.Contains(deleted, "tc_monitor");
        }
        s.Equal("lo", "held_netns_links");
        s.DoesNotContain("ingress", "held_netns_qdiscs");
        s.DoesNotContain("tap0_kata", "held_netns_qdiscs");
        foreach (string key in new[] { "pod_netns_path_left", "cni_netns_left", "ipam_addresses_left", "bridge_ports_left" })
        {
            s.Equal("0", key);
        }
    }

    /// <summary>
    /// The pod's cgroup (the sandbox's linux.cgroupsPath, as Kata's sandbox_cgroup_only): the shim — its VMM threads and the
    /// guest RAM it touches — runs in the pod's cgroup, not containerd's. (Whether the memory controller accounts it there
    /// depends on the parents enabling it, which the kubelet does for its pod cgroups and this scenario has no kubelet to
    /// do: README "Known limits".)
    /// </summary>
    [Fact]
    public async Task TheShim_RunsInThePodsCgroup_NotContainerds()
    {
        ShimScenario s = await RunAsync();
        output.WriteLine($"pod cgroup {s["shim_cgroup"]} (parent's subtree_control: {s["pod_cgroup_parent_subtree"]}): memory.current {s["pod_cgroup_memory_kib"]} KiB, anon {s["pod_cgroup_anon_kib"]} KiB; shim RSS {s["shim_rss_kib"]} KiB, the VMM's guest RAM {s["vmm_guest_ram_kib"]} KiB; containerd in {s["containerd_cgroup"]}");
        Assert.EndsWith("/" + s["sandbox_id"], s["shim_cgroup"]);
        Assert.NotEqual(s["containerd_cgroup"], s["shim_cgroup"]);
    }

    /// <summary>
    /// The VM's memory is accounted in the pod's cgroup without a kubelet: the shim enabled the memory controller in the
    /// cgroup's parents (as runc does), so the pod cgroup has memory.current, and it holds at least every page of guest RAM
    /// the pod's VMM process has (the Rss of its [anon:katasharp-guest-ram] mapping: the VMM is started after the shim
    /// moved in). memory.current is the exact charge counter; memory.stat's anon is printed too but not compared: the
    /// kernel flushes those statistics lazily (seen here: 7.6 MiB behind a guest that was still touching RAM), so they
    /// may lag the RSS read just before.
    /// </summary>
    [Fact]
    public async Task TheVmsMemory_IsChargedToThePodsCgroup()
    {
        ShimScenario s = await RunAsync();
        output.WriteLine($"pod cgroup {s["shim_cgroup"]}: memory.current {s["pod_cgroup_memory_kib"]} KiB, anon {s["pod_cgroup_anon_kib"]} KiB; guest RAM mapped by the pod's VMM process {s["vmm_guest_ram_kib"]} KiB");
        Assert.Contains("memory", s["pod_cgroup_parent_subtree"].Split(' '));
        long guestRam = long.Parse(s["vmm_guest_ram_kib"], CultureInfo.InvariantCulture);
        long current = long.Parse(s["pod_cgroup_memory_kib"], CultureInfo.InvariantCulture);
        Assert.True(guestRam > 16 * 1024, $"the pod's VMM process maps only {guestRam} KiB of guest RAM: the guest has booted a kernel, it must have touched more");
        Assert.True(current >= guestRam, $"the pod's cgroup is charged {current} KiB, less than the {guestRam} KiB of guest RAM the pod's VMM maps");
    }

    /// <summary>The kubelet starts pods concurrently: two katasharp pods (two VMs) started at once both come up and run.</summary>
    [Fact]
    public async Task TwoPodsStartedAtTheSameTime_BothRun()
    {
        ShimScenario s = await RunAsync();
        output.WriteLine($"both RunPodSandbox calls took {s["pair_runp_ms"]} ms");
        s.Equal("0", "twin_runp_exit");
        s.Equal("0", "doomed_runp_exit");
        s.Equal("SANDBOX_READY", "twin_pod_state");
        s.Equal("SANDBOX_READY", "doomed_pod_state");
        s.Equal("0", "twin_create_exit");
        s.Equal("0", "twin_start_exit");
        s.Equal("1", "twin_exited");
        s.Equal("0", "twin_exit_code");
        s.Contains("twin-ok", "twin_log");
    }

    /// <summary>
    /// Two katasharp pods — two VMs, each behind its own tap on one CNI bridge — talk TCP over their pod IPs: the twin pod's
    /// container fetches the app pod's HTTP page.
    /// </summary>
    [Fact]
    public async Task TwoKatasharpPods_OnOneBridge_ReachEachOtherOverTcp()
    {
        ShimScenario s = await RunAsync();
        Assert.Matches(@"^10\.88\.77\.\d+$", s["twin_pod_ip"]);
        Assert.NotEqual(s["pod_ip"], s["twin_pod_ip"]);
        s.Equal("0", "twin_exit_code");
        s.Contains("ks-pod-http-ok", "twin_log");
    }

    /// <summary>
    /// A pod whose VM dies under a running container (a privileged container panics the guest kernel on OOM): the
    /// container shows exited with 137 on its own, the shim names the VM's exit, and the pod is removed as any pod is
    /// (the checks of nothing left, below, cover it too).
    /// </summary>
    [Fact]
    public async Task APodWhoseVmDies_ShowsItsContainerExitedWith137_AndIsRemoved()
    {
        ShimScenario s = await RunAsync();
        output.WriteLine($"the container showed exited {s["doomed_exited_ms"]} ms after StartContainer");
        s.Equal("0", "doomed_create_exit");
        s.Equal("0", "doomed_start_exit");
        s.Equal("1", "doomed_exited");
        s.Equal("137", "doomed_exit_code");
        s.Equal("GuestPanic", "doomed_vm_exit");
        foreach (string step in new[] { "doomed_rm", "doomed_stopp", "doomed_rmp", "twin_rm", "twin_stopp", "twin_rmp" })
        {
            s.Equal("0", $"{step}_exit");
        }
    }

    [Fact]
    public async Task NoSandboxVmExitsOnItsOwn() => (await RunAsync()).NoUnexpectedVmExits(output, IntendedVmExits);
}
