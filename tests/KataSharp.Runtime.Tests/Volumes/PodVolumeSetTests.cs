using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Volumes;
using Xunit;

namespace KataSharp.Runtime.Tests.Volumes;

/// <summary>What a pod's containers share in the guest: one copy per volume, one directory per emptyDir, one /dev/shm.</summary>
// IAsyncLifetime, not IAsyncDisposable: xunit 2.9 never calls a test class's IAsyncDisposable.DisposeAsync
// (this class leaked a temporary directory per fact that way).
public sealed class PodVolumeSetTests : IAsyncLifetime
{
    private readonly KubeletVolumeDir _configMap = new();
    private readonly RecordingGuestVolumes _guest = new();
    private readonly PodVolumeSet _set;

    public PodVolumeSetTests()
    {
        _configMap.Publish(new Dictionary<string, string> { ["key"] = "v1" });
        _set = new PodVolumeSet(_guest, new VolumeLimits(1 << 20, 100, "configuration.toml"), TimeSpan.FromMinutes(10), RuntimeLog.Null);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _set.DisposeAsync();
        _configMap.Dispose();
    }

    private HostDirectoryMount ConfigMap(string destination) => HostDirectoryClassifier.Classify(0, _configMap.Path, destination, readOnly: true);

    private static HostDirectoryMount EmptyDir(string name, string destination) =>
        HostDirectoryClassifier.Classify(1, $"/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~empty-dir/{name}", destination, readOnly: false);

    private static HostDirectoryMount Shm() =>
        HostDirectoryClassifier.Classify(2, "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/s1/shm", "/dev/shm", readOnly: false);

    [Fact]
    public async Task TwoContainersOfThePod_ShareOneCopy_RemovedWhenTheLastGoes()
    {
        var first = await _set.AttachAsync("app", [ConfigMap("/etc/cfg")], CancellationToken.None);
        var second = await _set.AttachAsync("sidecar", [ConfigMap("/config")], CancellationToken.None);

        Assert.Equal("/guest/shared/volumes/1-configmap-cfg", first["/etc/cfg"]);
        Assert.Equal(first["/etc/cfg"], second["/config"]);
        Assert.Single(_guest.Calls, c => c == "dir volumes/1-configmap-cfg");
        Assert.Equal(1, _set.WatchedCount);

        await _set.DetachAsync("app", CancellationToken.None);
        Assert.DoesNotContain(_guest.Calls, c => c.StartsWith("remove"));
        Assert.Equal(1, _set.WatchedCount);
        await _set.DetachAsync("sidecar", CancellationToken.None);
        Assert.Equal("remove volumes/1-configmap-cfg", _guest.Calls[^1]);
        Assert.Equal(0, _set.WatchedCount);
    }

    [Fact]
    public async Task EmptyDirsByName_AndThePodShm_AreOnePodDirectoryEach()
    {
        var app = await _set.AttachAsync("app", [EmptyDir("cache", "/cache"), Shm()], CancellationToken.None);
        var sidecar = await _set.AttachAsync("sidecar", [EmptyDir("cache", "/data"), EmptyDir("other", "/other"), Shm()], CancellationToken.None);

        Assert.Equal(app["/cache"], sidecar["/data"]);
        Assert.Equal(app["/dev/shm"], sidecar["/dev/shm"]);
        Assert.NotEqual(app["/cache"], sidecar["/other"]);
        Assert.Equal([
            "prepare empty-dir-cache", $"prepare shm tmpfs {64 << 20}",
            "prepare empty-dir-cache", "prepare empty-dir-other", $"prepare shm tmpfs {64 << 20}",
        ], _guest.Calls);
    }

    [Fact]
    public async Task AFailedAttach_ReleasesWhatTheContainerGot()
    {
        using var big = new KubeletVolumeDir("secret", "token");
        big.Publish(new Dictionary<string, string> { ["token"] = new string('x', 2 << 20) });
        HostDirectoryMount tooBig = HostDirectoryClassifier.Classify(3, big.Path, "/var/run/secrets", readOnly: true);

        await Assert.ThrowsAsync<KataSharp.Runtime.Model.RuntimeException>(() => _set.AttachAsync("app", [ConfigMap("/etc/cfg"), tooBig], CancellationToken.None));

        Assert.Equal(0, _set.WatchedCount);
        Assert.Equal("remove volumes/1-configmap-cfg", _guest.Calls[^1]);
    }
}
