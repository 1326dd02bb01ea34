using KataSharp.Linux.Files;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Rootfs;

/// <summary>Layer images with Debian's real mkfs.erofs; the images are checked by their superblock.</summary>
public class LayerImageTests
{
    private const int ErofsSuperblockOffset = 1024;
    private const uint ErofsMagic = 0xE0F5E1E2;

    [Fact]
    public async Task A_layer_becomes_an_erofs_image_once_and_is_reused()
    {
        using var directory = new TempDirectory();
        string layer = MakeLayer(directory, "layer1");
        var cache = new LayerImageCache(directory.Combine("cache"), new ErofsBuilder(), RuntimeLog.Null);
        string first = await cache.GetOrBuildAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None);
        var built = FileIdentity.Of(first);
        string second = await cache.GetOrBuildAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None);

        Assert.Equal(first, second);
        Assert.Equal(1, cache.BuildCount);
        // The same file, not a rebuild (its mtime moves at every use: it is the cache's "last used").
        Assert.Equal((built.Device, built.Inode), (FileIdentity.Of(second).Device, FileIdentity.Of(second).Inode));
        AssertErofs(first);
        Assert.Empty(Directory.GetFiles(directory.Combine("cache"), "*.tmp-*"));

        // Another cache instance (another shim) finds the same image on disk.
        var other = new LayerImageCache(directory.Combine("cache"), new ErofsBuilder(), RuntimeLog.Null);
        Assert.Equal(first, await other.GetOrBuildAsync(new SnapshotLayer(layer, IsImmutable: true), CancellationToken.None));
        Assert.Equal(0, other.BuildCount);
    }

    [Fact]
    public void The_key_follows_the_directory_identity()
    {
        using var directory = new TempDirectory();
        string a = MakeLayer(directory, "a"), b = MakeLayer(directory, "b");
        string keyA = LayerImageCache.KeyOf(a);
        Assert.Equal(keyA, LayerImageCache.KeyOf(a));
        Assert.NotEqual(keyA, LayerImageCache.KeyOf(b));
        // Re-creating a snapshot at the same path (containerd state wiped) gives a new identity.
        Directory.Delete(a, recursive: true);
        MakeLayer(directory, "a");
        File.WriteAllText(Path.Combine(a, "added"), "x");
        Assert.NotEqual(keyA, LayerImageCache.KeyOf(a));
    }

    [Fact]
    public async Task Concurrent_requests_for_one_layer_build_it_once()
    {
        using var directory = new TempDirectory();
        string layer = MakeLayer(directory, "layer");
        var caches = Enumerable.Range(0, 4).Select(_ => new LayerImageCache(directory.Combine("cache"), new ErofsBuilder(), RuntimeLog.Null)).ToList();
        var images = await Task.WhenAll(caches.Select(c => c.GetOrBuildAsync(new SnapshotLayer(layer, true), CancellationToken.None)));
        Assert.Single(images.Distinct());
        Assert.Equal(1, caches.Sum(c => c.BuildCount));
    }

    [Fact]
    public async Task A_missing_mkfs_names_the_package_to_install()
    {
        using var directory = new TempDirectory();
        var builder = new ErofsBuilder("/nonexistent/mkfs.erofs");
        var error = await Assert.ThrowsAsync<RuntimeException>(() => builder.BuildAsync(MakeLayer(directory, "l"), directory.Combine("x.erofs"), CancellationToken.None));
        Assert.Contains("erofs-utils", error.Message);
    }

    [Fact]
    public void Overlay_mounts_give_their_lower_layers_topmost_first_and_ignore_the_upper()
    {
        var layers = SnapshotLayers.From([new RootfsMount("overlay", "overlay", ["index=off", "workdir=/s/3/work", "upperdir=/s/3/fs", "lowerdir=/s/2/fs:/s/1/fs"])]);
        Assert.Equal([new SnapshotLayer("/s/2/fs", true), new SnapshotLayer("/s/1/fs", true)], layers);
    }

    [Theory]
    [InlineData("bind", new[] { "ro", "rbind" }, true)]
    [InlineData("bind", new[] { "rw", "rbind" }, false)]
    public void Bind_mounts_are_one_layer_cached_only_when_read_only(string type, string[] options, bool immutable) =>
        Assert.Equal([new SnapshotLayer("/s/1/fs", immutable)], SnapshotLayers.From([new RootfsMount(type, "/s/1/fs", options)]));

    [Fact]
    public void Unsupported_rootfs_shapes_are_refused_with_the_reason()
    {
        Assert.Equal(RuntimeError.InvalidArgument, Assert.Throws<RuntimeException>(() => SnapshotLayers.From([])).Error);
        var tmpfs = Assert.Throws<RuntimeException>(() => SnapshotLayers.From([new RootfsMount("tmpfs", "none", [])]));
        Assert.Equal(RuntimeError.NotImplemented, tmpfs.Error);
        Assert.Contains("overlayfs snapshotter", tmpfs.Message);
    }

    private static string MakeLayer(TempDirectory directory, string name)
    {
        string layer = directory.Combine(name);
        Directory.CreateDirectory(Path.Combine(layer, "bin"));
        File.WriteAllText(Path.Combine(layer, "bin", "hello"), "#!/bin/sh\necho hello\n");
        File.WriteAllText(Path.Combine(layer, "etc-release"), name);
        return layer;
    }

    private static void AssertErofs(string image)
    {
        using var file = File.OpenRead(image);
        byte[] magic = new byte[4];
        file.Position = ErofsSuperblockOffset;
        file.ReadExactly(magic);
        Assert.Equal(ErofsMagic, BitConverter.ToUInt32(magic));
    }
}
