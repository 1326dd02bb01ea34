using System.Text.Json;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Volumes;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>How specs written for a host runtime (containerd's CRI plugin) are adapted for the pod's VM.</summary>
public class VmSpecAdapterTests
{
    private const string ShmDir = "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/s1/shm";

    private static readonly HashSet<string> HostDirectories = [ShmDir, "/dev/shm", "/var/lib/kubelet/pods/p/volumes/data"];

    private static string Adapt(string text) => Adapt(Specs.Parse(text), HostDirectories.Contains, out _).ToJson();

    /// <summary>Adapts the spec in place, with the given host directories (nothing else exists on this host).</summary>
    private static OciSpec Adapt(OciSpec spec, Func<string, bool> isHostDirectory, out IReadOnlyList<HostDirectoryMount> volumes)
    {
        VmSpecAdapter.ForGuest(spec, source => isHostDirectory(source) ? new FileNode(FileKind.Directory, 0, 0) : null, out volumes, out _);
        return spec;
    }

    private static JsonElement MountAt(string spec, string destination) =>
        JsonDocument.Parse(spec).RootElement.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("destination").GetString() == destination);

    [Fact]
    public void CriPodShm_StaysABind_ListedForThePodTmpfs_AndFileBindsStay()
    {
        string spec = $$"""
            {"ociVersion":"1.0.2","process":{"args":["/pause"]},"mounts":[
              {"destination":"/proc","type":"proc","source":"proc"},
              {"destination":"/dev/shm","type":"bind","source":"{{ShmDir}}","options":["rbind","ro"]},
              {"destination":"/etc/resolv.conf","type":"bind","source":"/run/x/resolv.conf","options":["rbind","ro"]}]}
            """;
        Specs.AssertUntouched(spec, Adapt(Specs.Parse(spec), HostDirectories.Contains, out var volumes));
        HostDirectoryMount shm = Assert.Single(volumes);
        Assert.Equal((1, HostDirectoryUse.PodShm, ShmDir, "/dev/shm", true), (shm.Index, shm.Use, shm.Source, shm.Destination, shm.ReadOnly));
    }

    [Fact]
    public void KubeletVolumes_StayBinds_AndAreListed()
    {
        const string spec = """
            {"mounts":[{"destination":"/etc/cfg","type":"bind","source":"/var/lib/kubelet/pods/p/volumes/kubernetes.io~configmap/cfg","options":["rbind","ro"]},
              {"destination":"/cache","type":"bind","source":"/var/lib/kubelet/pods/p/volumes/kubernetes.io~empty-dir/cache","options":["rbind"]}]}
            """;
        Specs.AssertUntouched(spec, Adapt(Specs.Parse(spec), _ => true, out var volumes));
        Assert.Equal([HostDirectoryUse.CopiedVolume, HostDirectoryUse.EmptyDir], volumes.Select(v => v.Use));
        Assert.Equal(["cfg", "cache"], volumes.Select(v => v.VolumeName));
    }

    [Fact]
    public void HostIpcShm_ReadWrite_IsAlsoAGuestTmpfs_WithoutRo()
    {
        const string spec = """{"mounts":[{"destination":"/dev/shm","source":"/dev/shm","options":["rbind","rw"]}]}""";
        JsonElement shm = MountAt(Adapt(spec), "/dev/shm");
        Assert.Equal("tmpfs", shm.GetProperty("type").GetString());
        Assert.Equal(VmSpecAdapter.ShmOptions, shm.GetProperty("options").EnumerateArray().Select(o => o.GetString()!));
        Assert.DoesNotContain("ro", shm.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
    }

    [Fact]
    public void OtherHostDirectoryBind_FailsNotImplemented_NamingTheMount()
    {
        const string spec = """{"mounts":[{"destination":"/data","type":"bind","source":"/var/lib/kubelet/pods/p/volumes/data","options":["rbind"]}]}""";
        var e = Assert.Throws<RuntimeException>(() => Adapt(spec));
        Assert.Equal(RuntimeError.NotImplemented, e.Error);
        Assert.Contains("mounts[0]", e.Message);
        Assert.Contains("/var/lib/kubelet/pods/p/volumes/data → /data", e.Message);
        Assert.Contains("shares no host directory", e.Message);
    }

    /// <summary>CRI gives an app container the shim's own netns (/proc/&lt;sandbox pid&gt;/ns/net): the pod's containers share the guest's.
    /// Its ipc/uts paths are <see cref="PodNamespaces"/>' to translate (run before this), not dropped here.</summary>
    [Fact]
    public void CriContainerNetworkNamespacePath_LosesThePath_TheEntryStays()
    {
        const string spec = """
            {"linux":{"namespaces":[{"type":"pid"},{"type":"ipc","path":"/proc/4242/ns/ipc"},{"type":"mount"},{"type":"network","path":"/proc/4242/ns/net"}]}}
            """;
        JsonElement[] namespaces = JsonDocument.Parse(Adapt(spec)).RootElement.GetProperty("linux").GetProperty("namespaces").EnumerateArray().ToArray();
        Assert.Equal(["pid", "ipc", "mount", "network"], namespaces.Select(n => n.GetProperty("type").GetString()));
        Assert.False(namespaces[3].TryGetProperty("path", out _));
        Assert.Equal("/proc/4242/ns/ipc", namespaces[1].GetProperty("path").GetString());
    }

    /// <summary>The sandbox container's spec names the pod's CNI netns: the VM is connected to it on the host, the guest sees no path.</summary>
    [Fact]
    public void CriSandboxNetworkNamespacePath_IsDropped()
    {
        const string spec = """
            {"linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-0a1b"}]}}
            """;
        JsonElement[] namespaces = JsonDocument.Parse(Adapt(spec)).RootElement.GetProperty("linux").GetProperty("namespaces").EnumerateArray().ToArray();
        Assert.False(namespaces[2].TryGetProperty("path", out _));
        Assert.Equal("network", namespaces[2].GetProperty("type").GetString());
    }

    [Fact]
    public void ASpecNeedingNothing_IsLeftUntouched()
    {
        const string spec = """{"mounts":[{"destination":"/dev/shm","type":"tmpfs","source":"shm"},{"destination":"/etc/hosts","type":"bind","source":"/h/hosts"}],"linux":{"namespaces":[{"type":"ipc"}]}}""";
        Specs.AssertUntouched(spec, Adapt(Specs.Parse(spec), HostDirectories.Contains, out _));
    }
}
