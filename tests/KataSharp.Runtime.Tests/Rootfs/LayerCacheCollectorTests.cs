using KataSharp.Linux.Files;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Rootfs;

/// <summary>`katasharp gc` on a temporary cache directory: leftovers, orphans, LRU under a cap, and what it must never remove.</summary>
public class LayerCacheCollectorTests
{
    private const long Mib = 1024 * 1024;
    private static readonly DateTime Monday = new(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Leftovers_of_builds_no_builder_holds_are_removed()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        Directory.CreateDirectory(cache);
        File.WriteAllBytes(Path.Combine(cache, "aaaa.erofs.tmp-99999"), new byte[4096]);
        File.WriteAllText(Path.Combine(cache, "aaaa.lock"), "");
        File.WriteAllText(Path.Combine(cache, "bbbb.lock"), "");
        File.WriteAllText(Path.Combine(cache, "cccc.erofs.tmp-99998"), "partial");
        File.WriteAllText(Path.Combine(cache, "dddd.source"), "/gone/fs"); // its image was removed
        File.WriteAllText(Path.Combine(cache, "unrelated.txt"), "not ours");

        LayerCacheCollection result = LayerCacheCollector.Collect(cache, capBytes: 0, dryRun: false);

        Assert.Equal(["unrelated.txt"], Directory.GetFiles(cache).Select(Path.GetFileName));
        Assert.All(result.Removed, r => Assert.Equal(LayerCacheRemovalReason.Leftover, r.Reason));
        Assert.Equal(
            ["aaaa.erofs.tmp-99999", "aaaa.lock", "bbbb.lock", "cccc.erofs.tmp-99998", "dddd.source"],
            result.Removed.Select(r => Path.GetFileName(r.Path)).Order(StringComparer.Ordinal));
        Assert.Equal(4096 + "partial".Length + "/gone/fs".Length, result.BytesFreed);
    }

    [Fact]
    public void A_build_in_progress_keeps_its_lock_and_temporary()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        Directory.CreateDirectory(cache);
        string temporary = Path.Combine(cache, "aaaa.erofs.tmp-1234");
        File.WriteAllText(temporary, "building");
        using (FileLock.Acquire(Path.Combine(cache, "aaaa.lock")))
        {
            LayerCacheCollection result = LayerCacheCollector.Collect(cache, capBytes: 0, dryRun: false);
            Assert.Empty(result.Removed);
            Assert.Equal([Path.Combine(cache, "aaaa.lock")], result.Busy);
            Assert.True(File.Exists(temporary));
        }
        Assert.Equal(2, LayerCacheCollector.Collect(cache, 0, dryRun: false).Removed.Count);
    }

    [Fact]
    public void Least_recently_used_images_go_first_until_the_cache_fits_the_cap()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        string oldest = Image(cache, "k1", Mib, Monday);
        string middle = Image(cache, "k2", Mib, Monday.AddHours(1));
        string newest = Image(cache, "k3", Mib, Monday.AddHours(2));

        LayerCacheCollection result = LayerCacheCollector.Collect(cache, capBytes: 2 * Mib, dryRun: false);

        LayerCacheRemoval removal = Assert.Single(result.Removed);
        Assert.Equal((oldest, Mib, LayerCacheRemovalReason.LeastRecentlyUsed), (removal.Path, removal.Bytes, removal.Reason));
        Assert.Contains("2026-11-30 10:00:00", removal.Detail);
        Assert.False(File.Exists(oldest));
        Assert.True(File.Exists(middle) && File.Exists(newest));
        Assert.Equal((2, 2 * Mib), (result.ImagesKept, result.ImageBytesKept));
    }

    [Fact]
    public void Without_a_cap_used_images_stay()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        Image(cache, "k1", Mib, Monday);
        LayerCacheCollection result = LayerCacheCollector.Collect(cache, capBytes: 0, dryRun: false);
        Assert.Empty(result.Removed);
        Assert.Equal(1, result.ImagesKept);
    }

    [Fact]
    public void An_image_a_sandbox_holds_is_never_removed_and_the_next_oldest_goes_instead()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        string attached = Image(cache, "k1", Mib, Monday);
        string older = Image(cache, "k2", Mib, Monday.AddHours(1));
        Image(cache, "k3", Mib, Monday.AddHours(2));

        using (FileLock.AcquireShared(attached)) // what a LayerImageLease holds
        {
            LayerCacheCollection result = LayerCacheCollector.Collect(cache, capBytes: 2 * Mib, dryRun: false);
            Assert.Equal([attached], result.InUse);
            Assert.Equal([older], result.Removed.Select(r => r.Path));
            Assert.True(File.Exists(attached));
        }
    }

    [Fact]
    public void Images_of_layers_containerd_removed_go_whatever_the_cap()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        string layer = directory.Combine("snapshots", "1", "fs");
        Directory.CreateDirectory(layer);
        string live = Image(cache, LayerImageCache.KeyOf(layer), Mib, Monday, source: layer);
        string gone = directory.Combine("snapshots", "2", "fs");
        string orphan = Image(cache, "0123456789abcdef0123456789abcdef", Mib, Monday.AddDays(1), source: gone);

        LayerCacheCollection result = LayerCacheCollector.Collect(cache, capBytes: 0, dryRun: false);

        LayerCacheRemoval removal = Assert.Single(result.Removed);
        Assert.Equal((orphan, LayerCacheRemovalReason.Orphan), (removal.Path, removal.Reason));
        Assert.Contains(gone, removal.Detail);
        Assert.False(File.Exists(orphan) || File.Exists(Path.ChangeExtension(orphan, ".source")));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void A_dry_run_reports_the_same_and_removes_nothing()
    {
        using var directory = new TempDirectory();
        string cache = directory.Combine("cache");
        Image(cache, "k1", Mib, Monday);
        Image(cache, "k2", Mib, Monday.AddHours(1));
        File.WriteAllText(Path.Combine(cache, "k9.erofs.tmp-5"), "x");
        File.WriteAllText(Path.Combine(cache, "k1.lock"), "");
        string[] before = Directory.GetFiles(cache);

        LayerCacheCollection dry = LayerCacheCollector.Collect(cache, capBytes: Mib, dryRun: true);

        Assert.Equal(before, Directory.GetFiles(cache));
        Assert.True(dry.DryRun);
        LayerCacheCollection real = LayerCacheCollector.Collect(cache, capBytes: Mib, dryRun: false);
        Assert.Equal(dry.Removed, real.Removed);
    }

    [Fact]
    public void A_missing_cache_directory_is_an_empty_cache()
    {
        using var directory = new TempDirectory();
        LayerCacheCollection result = LayerCacheCollector.Collect(directory.Combine("never-made"), Mib, dryRun: false);
        Assert.Empty(result.Removed);
        Assert.Equal(0, result.ImagesKept);
    }

    [Fact]
    public async Task A_leased_image_survives_gc_and_one_removed_after_its_release_is_built_again()
    {
        using var directory = new TempDirectory();
        string layer = directory.Combine("layer");
        Directory.CreateDirectory(layer);
        File.WriteAllText(Path.Combine(layer, "hello"), "hello");
        string cache = directory.Combine("cache");
        var images = new LayerImageCache(cache, new ErofsBuilder(), RuntimeLog.Null);

        using (LayerImageLease lease = await images.LeaseAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None))
        {
            LayerCacheCollection whileAttached = LayerCacheCollector.Collect(cache, capBytes: 1, dryRun: false);
            Assert.Equal([lease.Path], whileAttached.InUse);
            Assert.DoesNotContain(whileAttached.Removed, r => r.Path == lease.Path);
            Assert.True(File.Exists(lease.Path));
            Assert.Equal(layer, File.ReadAllText(Path.ChangeExtension(lease.Path, ".source")));
        }

        LayerCacheCollection afterwards = LayerCacheCollector.Collect(cache, capBytes: 1, dryRun: false);
        Assert.Contains(afterwards.Removed, r => r.Reason == LayerCacheRemovalReason.LeastRecentlyUsed);
        Assert.Empty(Directory.GetFiles(cache));

        using LayerImageLease again = await images.LeaseAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None);
        Assert.True(File.Exists(again.Path));
        Assert.Equal(2, images.BuildCount);
    }

    [Fact]
    public async Task Every_use_marks_the_image_recently_used()
    {
        using var directory = new TempDirectory();
        string layer = directory.Combine("layer");
        Directory.CreateDirectory(layer);
        var images = new LayerImageCache(directory.Combine("cache"), new ErofsBuilder(), RuntimeLog.Null);
        string image = await images.GetOrBuildAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None);
        File.SetLastWriteTimeUtc(image, Monday);

        await images.GetOrBuildAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None);

        Assert.True(File.GetLastWriteTimeUtc(image) > Monday.AddDays(1));
    }

    private static string Image(string cache, string key, long bytes, DateTime lastUsed, string? source = null)
    {
        Directory.CreateDirectory(cache);
        string image = LayerCacheLayout.Image(cache, key);
        using (var file = File.Create(image))
        {
            file.SetLength(bytes);
        }
        File.SetLastWriteTimeUtc(image, lastUsed);
        if (source is not null)
        {
            File.WriteAllText(LayerCacheLayout.Source(cache, key), source);
        }
        return image;
    }
}
