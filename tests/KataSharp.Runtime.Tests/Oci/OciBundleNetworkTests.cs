using KataSharp.Runtime.Oci;
using Xunit;

namespace KataSharp.Runtime.Tests.Oci;

/// <summary>Which pod network a spec names: the path of its network namespace entry, if any.</summary>
public sealed class OciBundleNetworkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ks-bundle-net-").FullName;

    [Theory]
    [InlineData("""[{"type":"pid"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-0a1b"}]""", "/var/run/netns/cni-0a1b")] // CRI pod sandbox
    [InlineData("""[{"type":"network","path":"/proc/4242/ns/net"},{"type":"mount"}]""", "/proc/4242/ns/net")] // CRI app container
    [InlineData("""[{"type":"mount"},{"type":"network"}]""", null)] // ctr run: a new, empty namespace
    [InlineData("""[{"type":"mount"},{"type":"network","path":""}]""", null)]
    [InlineData("""[{"type":"pid"},{"type":"mount"}]""", null)] // host network
    [InlineData("""[{"type":"ipc","path":"/proc/1/ns/ipc"},{"type":"mount"}]""", null)]
    [InlineData("""{"type":"network"}""", null)] // not a list: nothing to read
    public void NetworkNamespacePath_IsThePathOfTheNetworkEntry(string namespaces, string? expected)
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"ociVersion":"1.0.2","linux":{"namespaces":""" + namespaces + "}}");
        Assert.Equal(expected, OciBundle.Load(_dir).NetworkNamespacePath);
    }

    [Fact]
    public void NoLinuxSection_HasNoNetworkNamespacePath()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), """{"ociVersion":"1.0.2"}""");
        Assert.Null(OciBundle.Load(_dir).NetworkNamespacePath);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
