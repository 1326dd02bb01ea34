using System.Text.Json;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Sandbox;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>CRI's ipc/uts/pid namespace paths (into the host's view of the pod sandbox) → a join of the sandbox container in the guest.</summary>
public class PodNamespacesTests
{
    private static readonly Dictionary<string, string> CriAppContainer = new()
    {
        [PodNamespaces.ContainerTypeAnnotation] = "container", [OciBundle.SandboxIdAnnotation] = "sandbox-1",
    };

    /// <summary>An app container's namespaces as containerd's CRI plugin writes them (WithPodNamespaces), pid with shareProcessNamespace.</summary>
    private const string CriSpec = """
        {"linux":{"namespaces":[{"type":"pid","path":"/proc/4242/ns/pid"},{"type":"ipc","path":"/proc/4242/ns/ipc"},{"type":"uts","path":"/proc/4242/ns/uts"},
          {"type":"mount"},{"type":"network","path":"/proc/4242/ns/net"}]}}
        """;

    private static JsonElement[] Namespaces(string spec) =>
        JsonDocument.Parse(spec).RootElement.GetProperty("linux").GetProperty("namespaces").EnumerateArray().ToArray();

    private static (string Spec, NamespaceJoin? Join) Translate(string text, IReadOnlyDictionary<string, string> annotations)
    {
        OciSpec spec = Specs.Parse(text);
        NamespaceJoin? join = PodNamespaces.ForGuest(spec, annotations);
        return (spec.ToJson(), join);
    }

    [Fact]
    public void CriAppContainer_PathsBecomeAJoinOfItsSandbox_TheEntriesStayWithoutPaths()
    {
        var (spec, join) = Translate(CriSpec, CriAppContainer);
        Assert.NotNull(join);
        Assert.Equal("sandbox-1", join.ContainerId);
        Assert.Equal([PodNamespace.Pid, PodNamespace.Ipc, PodNamespace.Uts], join.Namespaces);
        JsonElement[] namespaces = Namespaces(spec);
        Assert.Equal(["pid", "ipc", "uts", "mount", "network"], namespaces.Select(n => n.GetProperty("type").GetString()));
        Assert.All(namespaces[..3], n => Assert.False(n.TryGetProperty("path", out _), $"{n} kept a host path"));
        Assert.Equal("/proc/4242/ns/net", namespaces[4].GetProperty("path").GetString()); // the network path is VmSpecAdapter's
    }

    /// <summary>The default pod (no shareProcessNamespace): CRI gives the container a pid namespace of its own, which stays its own.</summary>
    [Fact]
    public void CriAppContainer_WithItsOwnPidNamespace_JoinsOnlyIpcAndUts()
    {
        const string spec = """{"linux":{"namespaces":[{"type":"pid"},{"type":"ipc","path":"/proc/1/ns/ipc"},{"type":"uts","path":"/proc/1/ns/uts"},{"type":"mount"}]}}""";
        var (_, join) = Translate(spec, CriAppContainer);
        Assert.Equal([PodNamespace.Ipc, PodNamespace.Uts], join!.Namespaces);
    }

    [Fact]
    public void WithoutCriAnnotations_IpcAndUtsPathsAreDropped_AndNothingIsJoined()
    {
        const string spec = """{"linux":{"namespaces":[{"type":"pid"},{"type":"ipc","path":"/proc/1/ns/ipc"},{"type":"uts","path":"/proc/1/ns/uts"},{"type":"mount"}]}}""";
        var (adapted, join) = Translate(spec, new Dictionary<string, string>());
        Assert.Null(join);
        Assert.All(Namespaces(adapted), n => Assert.False(n.TryGetProperty("path", out _), $"{n} kept a host path"));
    }

    [Fact]
    public void APidPathWithoutCriAnnotations_FailsNamingTheField()
    {
        var e = Assert.Throws<RuntimeException>(() => Translate(CriSpec, new Dictionary<string, string>()));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.StartsWith("linux.namespaces[0].path: the pid namespace /proc/4242/ns/pid", e.Message);
    }

    /// <summary>A sandbox container is no pod container of another: its annotations name itself.</summary>
    [Fact]
    public void ASandboxContainerWithAPidPath_FailsToo()
    {
        var sandbox = new Dictionary<string, string> { [PodNamespaces.ContainerTypeAnnotation] = "sandbox", [OciBundle.SandboxIdAnnotation] = "sandbox-1" };
        Assert.Equal(RuntimeError.InvalidArgument, Assert.Throws<RuntimeException>(() => Translate(CriSpec, sandbox)).Error);
    }

    [Fact]
    public void ASpecWithoutNamespacePaths_IsLeftUntouched()
    {
        const string text = """{"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-1"}]}}""";
        OciSpec spec = Specs.Parse(text);
        Assert.Null(PodNamespaces.ForGuest(spec, CriAppContainer));
        Specs.AssertUntouched(text, spec);
    }
}
