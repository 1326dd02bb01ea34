using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Tests.Tasks;
using Xunit;

namespace KataSharp.Runtime.Tests.Sandbox;

/// <summary>The pod's VM size (configuration + the pod's limits, bounded) and the pod's cgroup as the shim's home.</summary>
public sealed class PodPlacementTests
{
    private static readonly HypervisorSettings Base = new("/k", "/i", 1, 256, "", 60, 8, MaxVcpus: 4, MaxMemoryMib: 4096);

    [Fact]
    public void Cri_sandbox_annotations_are_the_pods_total_limits()
    {
        var pod = PodResources.FromAnnotations(new Dictionary<string, string>
        {
            [PodResources.MemoryAnnotation] = (2L << 30).ToString(),
            [PodResources.CpuQuotaAnnotation] = "150000",
            [PodResources.CpuPeriodAnnotation] = "100000",
        });
        Assert.Equal(2048, pod.MemoryMib);
        Assert.Equal(2, pod.Cpus); // 1.5 CPUs round up
        Assert.Equal(PodResources.None, PodResources.FromAnnotations(new Dictionary<string, string> { [PodResources.CpuQuotaAnnotation] = "-1", [PodResources.MemoryAnnotation] = "0" }));
        var bad = Assert.Throws<RuntimeException>(() => PodResources.FromAnnotations(new Dictionary<string, string> { [PodResources.MemoryAnnotation] = "2Gi" }));
        Assert.Equal(RuntimeError.InvalidArgument, bad.Error);
        Assert.Contains(PodResources.MemoryAnnotation, bad.Message);
    }

    [Fact]
    public void The_vm_is_the_configured_size_plus_the_pods_limits_and_never_over_the_bounds()
    {
        Assert.Equal(Base, VmSizing.For(Base, PodResources.None, "cfg"));
        HypervisorSettings sized = VmSizing.For(Base, new PodResources(2L << 30, 150000, 100000), "cfg");
        Assert.Equal((3, 2304), (sized.Vcpus, sized.MemoryMib));

        var memory = Assert.Throws<RuntimeException>(() => VmSizing.For(Base, new PodResources(4L << 30, null, null), "/etc/katasharp/configuration.toml"));
        Assert.Equal(RuntimeError.InvalidArgument, memory.Error);
        Assert.Contains("4352 MiB", memory.Message);
        Assert.Contains("max_memory_mib = 4096", memory.Message);
        var cpus = Assert.Throws<RuntimeException>(() => VmSizing.For(Base, new PodResources(null, 400000, 100000), "cfg"));
        Assert.Contains("max_vcpus = 4", cpus.Message);
    }

    [Fact]
    public void A_container_whose_memory_limit_exceeds_the_vm_is_refused_naming_both_numbers()
    {
        VmSizing.RequireFits("c1", null, Base);
        VmSizing.RequireFits("c1", 256L << 20, Base);
        var e = Assert.Throws<RuntimeException>(() => VmSizing.RequireFits("c1", (512L << 20) + 1, Base));
        Assert.Contains("513 MiB", e.Message);
        Assert.Contains("256 MiB", e.Message);
    }

    [Fact]
    public async Task The_pods_first_container_boots_a_vm_sized_for_the_pod_and_a_too_big_container_boots_nothing()
    {
        await using var h = TaskHarness.Start();
        var sandbox = h.CreateRequest("pause");
        sandbox.Bundle = h.Bundle("pause", $$""","annotations":{"{{PodResources.MemoryAnnotation}}":"{{1L << 30}}","{{PodResources.CpuQuotaAnnotation}}":"200000","{{PodResources.CpuPeriodAnnotation}}":"100000"}""");
        await h.Call("Create", sandbox, CreateTaskResponse.Parser);
        Assert.Equal((3, 256 + 1024), (h.Backend.LastBoot!.Configuration.Hypervisor.Vcpus, h.Backend.LastBoot.Configuration.Hypervisor.MemoryMib));

        var app = h.CreateRequest("app");
        app.Bundle = h.Bundle("app", ""","linux":{"resources":{"memory":{"limit":4294967296}}}""");
        var refused = await h.CallFails("Create", app, CreateTaskResponse.Parser);
        Assert.Contains("4096 MiB", refused.Message);
        Assert.Contains("1280 MiB", refused.Message);

        await using var fresh = TaskHarness.Start();
        var alone = fresh.CreateRequest("big");
        alone.Bundle = fresh.Bundle("big", ""","linux":{"resources":{"memory":{"limit":1073741824}}}""");
        await fresh.CallFails("Create", alone, CreateTaskResponse.Parser);
        Assert.Equal(0, fresh.Backend.BootCount);
    }

    [Theory]
    [InlineData("/kubepods/burstable/pod1/abc", "kubepods/burstable/pod1/abc")]
    [InlineData("default/c1", "default/c1")]
    [InlineData("kubepods-burstable-pod1.slice:cri-containerd:abc", "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-abc.scope")]
    [InlineData("system.slice:docker:abc", "system.slice/docker-abc.scope")]
    public void Cgroups_paths_map_to_host_directories(string cgroupsPath, string expected) =>
        Assert.Equal(Path.Combine("/sys/fs/cgroup", expected), PodCgroup.HostPath(cgroupsPath));

    [Theory]
    [InlineData("/a/../../etc")]
    [InlineData("/")]
    [InlineData("a:b")]
    [InlineData("notaslice:p:n")]
    public void Cgroups_paths_outside_the_hierarchy_are_refused(string cgroupsPath)
    {
        var e = Assert.Throws<RuntimeException>(() => PodCgroup.HostPath(cgroupsPath));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
    }

    [Fact]
    public void The_shim_joins_the_pods_cgroup_and_leaves_it_for_the_root_on_stop()
    {
        using var root = new TempDirectory("ks-cgroup");
        File.WriteAllText(root.Combine("cgroup.controllers"), "cpu memory pids\n");
        using var log = new RuntimeLog(TextWriter.Null, debug: false);
        PodCgroup cgroup = PodCgroup.Join("/kubepods/pod1/sb1", log, root.Path)!;
        Assert.Equal(root.Combine("kubepods", "pod1", "sb1"), cgroup.Path);
        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(Path.Combine(cgroup.Path, "cgroup.procs")));

        File.Delete(Path.Combine(cgroup.Path, "cgroup.procs")); // a real cgroup's files vanish with its last process
        cgroup.Leave(log);
        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(root.Combine("cgroup.procs")));
        Assert.False(Directory.Exists(cgroup.Path));
    }

    [Fact]
    public void On_the_way_down_every_ancestor_enables_the_controllers_that_account_the_VM_but_the_leaf_does_not()
    {
        using var root = new TempDirectory("ks-cgroup");
        File.WriteAllText(root.Combine("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma\n");
        Directory.CreateDirectory(root.Combine("k8s.io"));
        File.WriteAllText(root.Combine("k8s.io", "cgroup.controllers"), "cpu memory\n"); // what the root gave it before
        using var log = new RuntimeLog(TextWriter.Null, debug: false);
        PodCgroup cgroup = PodCgroup.Join("/k8s.io/sb1", log, root.Path)!;

        Assert.Equal("+cpu +io +memory +pids", File.ReadAllText(root.Combine("cgroup.subtree_control")));
        Assert.Equal("+cpu +memory", File.ReadAllText(root.Combine("k8s.io", "cgroup.subtree_control")));
        Assert.False(File.Exists(Path.Combine(cgroup.Path, "cgroup.subtree_control")));
    }

    [Fact]
    public void A_level_that_refuses_its_controllers_is_logged_and_the_shim_still_joins()
    {
        using var root = new TempDirectory("ks-cgroup");
        File.WriteAllText(root.Combine("cgroup.controllers"), "memory pids\n");
        Directory.CreateDirectory(root.Combine("cgroup.subtree_control")); // a write to it fails, as EBUSY would
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false);
        PodCgroup cgroup = PodCgroup.Join("/k8s.io/sb1", log, root.Path)!;

        Assert.Equal($"{Environment.ProcessId}\n", File.ReadAllText(Path.Combine(cgroup.Path, "cgroup.procs")));
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        Assert.Contains($"cannot enable controllers in {root.Path}'s subtree (memory, pids refused", output.ToString());
    }

    [Fact]
    public void Without_cgroup_v2_the_shim_stays_where_it_is_and_says_so()
    {
        using var root = new TempDirectory("ks-cgroup");
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false);
        Assert.Null(PodCgroup.Join("/kubepods/pod1/sb1", log, root.Path));
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        Assert.Contains("no cgroup v2", output.ToString());
        Assert.False(Directory.Exists(root.Combine("kubepods")));
    }
}
