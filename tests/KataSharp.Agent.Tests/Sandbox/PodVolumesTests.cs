using KataSharp.Agent.Errors;
using KataSharp.Agent.Sandbox;
using KataSharp.Linux.Mounts;
using Xunit;

namespace KataSharp.Agent.Tests.Sandbox;

/// <summary>PrepareVolume: one directory per name for the pod, a tmpfs for its /dev/shm (root: mounts).</summary>
public sealed class PodVolumesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ks-podvol-").FullName;
    private readonly PodVolumes _volumes;

    public PodVolumesTests() => _volumes = new PodVolumes(Path.Combine(_dir, "volumes"));

    public void Dispose()
    {
        Mount.Detach(Path.Combine(_volumes.Root, "shm"));
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void TheSameName_GivesTheSameDirectory_ForEveryContainer()
    {
        string first = _volumes.Prepare("cache", PodVolumeMedium.Directory, 0);
        File.WriteAllText(Path.Combine(first, "written-by-one"), "x");
        string second = _volumes.Prepare("cache", PodVolumeMedium.Directory, 0);
        Assert.Equal(first, second);
        Assert.True(File.Exists(Path.Combine(second, "written-by-one")));
        Assert.Equal((UnixFileMode)0x1ff, File.GetUnixFileMode(first));
        Assert.NotEqual(first, _volumes.Prepare("other", PodVolumeMedium.Directory, 0));
    }

    [Fact]
    public void Shm_IsATmpfsOfTheSizeAsked()
    {
        string shm = _volumes.Prepare("shm", PodVolumeMedium.Tmpfs, 64 << 20);
        string line = File.ReadLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == shm);
        Assert.Contains(" - tmpfs shm ", line);
        Assert.Contains("size=65536k", line);
        Assert.Contains("nosuid", line);
        Assert.Equal(shm, _volumes.Prepare("shm", PodVolumeMedium.Tmpfs, 64 << 20));
        Assert.Equal(AgentErrorCode.FailedPrecondition, Assert.Throws<AgentException>(() => _volumes.Prepare("shm", PodVolumeMedium.Directory, 0)).Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    public void NamesThatAreNotOneComponent_AreRefused(string name)
    {
        var e = Assert.Throws<AgentException>(() => _volumes.Prepare(name, PodVolumeMedium.Directory, 0));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal("name", e.Field);
    }
}
