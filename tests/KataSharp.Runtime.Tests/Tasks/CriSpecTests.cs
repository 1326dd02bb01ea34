using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Ttrpc;
using KataSharp.Runtime.Volumes;
using Xunit;

namespace KataSharp.Runtime.Tests.Tasks;

/// <summary>Create with the bundles containerd's CRI plugin writes (pod shm directory, copied files), against the fake backend.</summary>
public class CriSpecTests
{
    [Fact]
    public async Task CriSandbox_ShmDirectoryIsThePodShm_ResolvConfIsCopied()
    {
        await using var h = TaskHarness.Start();
        string shm = h.Path("shm");
        Directory.CreateDirectory(shm);
        string resolv = h.Path("resolv.conf");
        File.WriteAllText(resolv, "nameserver 10.0.0.10\n");
        var request = h.CreateRequest("s1");
        File.WriteAllText(Path.Combine(request.Bundle, "config.json"), $$"""
            {"ociVersion":"1.0.2","process":{"args":["/bin/sleep","1000"]},
             "annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"s1"},
             "mounts":[{"destination":"/dev/shm","type":"bind","source":"{{shm}}","options":["rbind","ro"]},
                       {"destination":"/etc/resolv.conf","type":"bind","source":"{{resolv}}","options":["rbind","ro"]}]}
            """);
        await h.Call("Create", request, CreateTaskResponse.Parser);
        var launch = h.Backend.Containers["s1"];
        // Left a bind for the backend, which points it at the pod's one shm tmpfs in the guest.
        var podShm = Assert.Single(launch.HostDirectories);
        Assert.Equal((HostDirectoryUse.PodShm, shm, "/dev/shm", true), (podShm.Use, podShm.Source, podShm.Destination, podShm.ReadOnly));
        var file = Assert.Single(launch.Files);
        Assert.Equal("/etc/resolv.conf", file.Destination);
    }

    /// <summary>shareProcessNamespace: CRI points the app container's ipc, uts and pid at the host's view of the sandbox (this shim's pid).</summary>
    [Fact]
    public async Task CriAppContainer_JoinsItsSandboxsNamespacesByContainerId()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", CriRequest(h, "s1", "sandbox", "s1", ""), CreateTaskResponse.Parser);
        await h.Call("Create", CriRequest(h, "c1", "container", "s1", PodNamespacePaths), CreateTaskResponse.Parser);
        Assert.Null(h.Backend.Containers["s1"].JoinNamespaces);
        var launch = h.Backend.Containers["c1"];
        Assert.Equal("s1", launch.JoinNamespaces!.ContainerId);
        Assert.Equal([PodNamespace.Pid, PodNamespace.Ipc, PodNamespace.Uts], launch.JoinNamespaces.Namespaces);
        Assert.DoesNotContain("/proc/4242/ns", launch.Spec.ToJson());
    }

    [Fact]
    public async Task CriAppContainer_OfASandboxThisShimDoesNotRun_FailsNamingIt()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", CriRequest(h, "s1", "sandbox", "s1", ""), CreateTaskResponse.Parser);
        var error = await h.CallFails("Create", CriRequest(h, "c1", "container", "other-pod", PodNamespacePaths), CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, error.Code);
        Assert.Contains("other-pod", error.Message);
        Assert.False(h.Backend.Containers.ContainsKey("c1"));
    }

    private const string PodNamespacePaths = """
        "linux":{"namespaces":[{"type":"pid","path":"/proc/4242/ns/pid"},{"type":"ipc","path":"/proc/4242/ns/ipc"},{"type":"uts","path":"/proc/4242/ns/uts"},{"type":"mount"}]},
        """;

    private static CreateTaskRequest CriRequest(TaskHarness h, string id, string type, string sandboxId, string linux)
    {
        var request = h.CreateRequest(id);
        File.WriteAllText(Path.Combine(request.Bundle, "config.json"), $$$"""
            {"ociVersion":"1.0.2","process":{"args":["/bin/sleep","1000"]},{{{linux}}}
             "annotations":{"io.kubernetes.cri.container-type":"{{{type}}}","io.kubernetes.cri.sandbox-id":"{{{sandboxId}}}"}}
            """);
        return request;
    }

    [Fact]
    public async Task AHostDirectoryVolume_FailsCreateBeforeTheVmBoots()
    {
        await using var h = TaskHarness.Start();
        string volume = h.Path("volume");
        Directory.CreateDirectory(volume);
        var request = h.CreateRequest("c1");
        File.WriteAllText(Path.Combine(request.Bundle, "config.json"),
            $$"""{"ociVersion":"1.0.2","mounts":[{"destination":"/data","type":"bind","source":"{{volume}}","options":["rbind"]}]}""");
        var error = await h.CallFails("Create", request, CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.Unimplemented, error.Code);
        Assert.Contains($"{volume} → /data", error.Message);
        Assert.Equal(0, h.Backend.BootCount);
        Assert.Empty(h.Events.Topics);
    }
}
