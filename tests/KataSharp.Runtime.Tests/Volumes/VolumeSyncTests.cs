using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Volumes;
using Xunit;

namespace KataSharp.Runtime.Tests.Volumes;

/// <summary>Copying a kubelet volume tree into the guest and keeping it in sync, against a recording fake agent.</summary>
public sealed class VolumeSyncTests : IDisposable
{
    private const string Guest = "volumes/1-configmap-cfg";
    private readonly KubeletVolumeDir _dir = new();
    private readonly RecordingGuestVolumes _guest = new();
    private readonly StringWriter _logText = new();
    private readonly RuntimeLog _log;

    public VolumeSyncTests() => _log = new RuntimeLog(_logText, debug: false, sandboxId: "pod-1");

    public void Dispose()
    {
        _log.Dispose();
        _dir.Dispose();
    }

    private HostDirectoryMount Mount => HostDirectoryClassifier.Classify(2, _dir.Path, "/etc/cfg", readOnly: true);

    private static VolumeLimits Limits(long bytes = 1 << 20, int entries = 100) => new(bytes, entries, "/etc/katasharp/configuration.toml");

    private Task<VolumeSync> CopyAsync(VolumeLimits? limits = null) =>
        VolumeSync.CopyAsync(Mount, Guest, _guest, limits ?? Limits(), _log, "app", CancellationToken.None);

    [Fact]
    public async Task TheTree_IsCopiedWithItsSymlinksAsSymlinks()
    {
        _dir.Publish(new Dictionary<string, string> { ["a.conf"] = "one", ["b.conf"] = "two" });
        await using VolumeSync sync = await CopyAsync();

        Assert.Equal($"/guest/shared/{Guest}", sync.GuestPath);
        Assert.Equal([
            $"dir {Guest}",
            $"dir {Guest}/..gen_1",
            $"file {Guest}/..gen_1/a.conf",
            $"file {Guest}/..gen_1/b.conf",
            $"link {Guest}/..data -> ..gen_1",
            $"link {Guest}/a.conf -> ..data/a.conf",
            $"link {Guest}/b.conf -> ..data/b.conf",
        ], _guest.Calls);
        Assert.Equal("two", _guest.Files[$"{Guest}/..gen_1/b.conf"]);
    }

    [Fact]
    public async Task AKubeletSwap_IsPushedAsNewFiles_ThenTheDataLink_ThenRemovals()
    {
        _dir.Publish(new Dictionary<string, string> { ["key"] = "v1" });
        await using VolumeSync sync = await CopyAsync();
        _guest.Clear();

        _dir.Publish(new Dictionary<string, string> { ["key"] = "v2" });
        int changes = await sync.SyncOnceAsync(CancellationToken.None);

        Assert.Equal([
            $"dir {Guest}/..gen_2",
            $"file {Guest}/..gen_2/key",
            $"link {Guest}/..data -> ..gen_2",
            $"remove {Guest}/..gen_1", // the directory only: its file goes with it
        ], _guest.Calls);
        Assert.Equal(4, changes);
        Assert.Equal("v2", _guest.Files[$"{Guest}/..gen_2/key"]);

        _guest.Clear();
        Assert.Equal(0, await sync.SyncOnceAsync(CancellationToken.None));
        Assert.Empty(_guest.Calls);
    }

    [Fact]
    public async Task SymlinksLeadingOut_AreCopiedAsText_NeverReadThrough()
    {
        string outside = Path.Combine(_dir.Base, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret"), "host data");
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "file-link"), Path.Combine(outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(_dir.Path, "dir-link"), outside);

        await using VolumeSync sync = await CopyAsync();

        Assert.Contains($"link {Guest}/file-link -> {outside}/secret", _guest.Calls);
        Assert.Contains($"link {Guest}/dir-link -> {outside}", _guest.Calls);
        Assert.DoesNotContain(_guest.Files.Values, v => v == "host data");
        Assert.DoesNotContain(_guest.Calls, c => c.Contains("dir-link/"));
    }

    [Fact]
    public async Task AVolumeOverTheLimit_FailsCreate_NamingTheMountTheVolumeAndTheKey()
    {
        _dir.Publish(new Dictionary<string, string> { ["big"] = new string('x', 3000) });
        var e = await Assert.ThrowsAsync<RuntimeException>(() => CopyAsync(Limits(bytes: 2048)));
        Assert.Equal(RuntimeError.InvalidArgument, e.Error);
        Assert.Contains($"mounts[2] ({_dir.Path} → /etc/cfg, kubelet configmap volume 'cfg')", e.Message);
        Assert.Contains("volume_max_mib in /etc/katasharp/configuration.toml", e.Message);

        var entries = await Assert.ThrowsAsync<RuntimeException>(() => CopyAsync(Limits(entries: 3)));
        Assert.Contains("more than 3 entries ([runtime] volume_max_entries", entries.Message);
    }

    [Fact]
    public async Task AnUpdateOverTheLimit_IsLoggedAndNotApplied_ThenTheNextGoodOneIs()
    {
        _dir.Publish(new Dictionary<string, string> { ["key"] = "v1" });
        await using VolumeSync sync = await CopyAsync(Limits(bytes: 100));
        _guest.Clear();

        _dir.Publish(new Dictionary<string, string> { ["key"] = new string('x', 200) });
        Assert.Equal(0, await sync.SyncOnceAsync(CancellationToken.None));
        Assert.Equal(0, await sync.SyncOnceAsync(CancellationToken.None));
        Assert.Empty(_guest.Calls);
        Assert.True(_log.Flush(TimeSpan.FromSeconds(10)));
        string log = _logText.ToString();
        Assert.Single(log.Split('\n'), l => l.Contains("update not applied, the volume is over the per-volume limit"));
        Assert.Contains("app", log.Split('\n').Single(l => l.Contains("update not applied")));

        _dir.Publish(new Dictionary<string, string> { ["key"] = "v3" });
        Assert.True(await sync.SyncOnceAsync(CancellationToken.None) > 0);
        Assert.Equal("v3", _guest.Files[$"{Guest}/..gen_3/key"]);
    }

    [Fact]
    public async Task AGuestThatFails_DoesNotStopTheWatcher_AndTheUpdateIsRetried()
    {
        _dir.Publish(new Dictionary<string, string> { ["key"] = "v1" });
        await using VolumeSync sync = await CopyAsync();
        _dir.Publish(new Dictionary<string, string> { ["key"] = "v2" });
        _guest.Failure = new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running");
        Assert.Equal(0, await sync.SyncOnceAsync(CancellationToken.None));
        _guest.Failure = null;
        _guest.Clear();
        Assert.Equal(4, await sync.SyncOnceAsync(CancellationToken.None));
        Assert.Equal($"link {Guest}/..data -> ..gen_2", _guest.Calls[2]);
    }

    [Fact]
    public async Task TheWatcher_PushesAnUpdateByItself_AndDisposingEndsIt()
    {
        _dir.Publish(new Dictionary<string, string> { ["key"] = "v1" });
        VolumeSync sync = await CopyAsync();
        sync.StartWatching(TimeSpan.FromMilliseconds(50));
        _dir.Publish(new Dictionary<string, string> { ["key"] = "v2" });

        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_guest.Calls.Contains($"link {Guest}/..data -> ..gen_2"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the watcher did not push the update within 30 s");
            await Task.Delay(20);
        }
        // Disposing awaits the polling loop: once it returns, no poll is running or will run.
        Task disposed = sync.DisposeAsync().AsTask();
        Assert.Same(disposed, await Task.WhenAny(disposed, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.True(disposed.IsCompletedSuccessfully);
    }
}
