using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// erofs images of snapshot layers, cached by layer so a second container of the same image (in
/// this pod or any other) costs nothing. The key is the layer directory's identity: its path plus
/// the device, inode and change time of the directory. containerd never modifies a committed
/// snapshot, and re-creating one (even at the same path, e.g. after its state was wiped) gives a
/// new inode or change time, hence a new key. Concurrent shims serialize on a per-key flock and
/// images appear atomically (built under a temporary name, then renamed); file names are in
/// <see cref="LayerCacheLayout"/>. An image in use is held by a <see cref="LayerImageLease"/> (a
/// shared flock) and its modification time is set at every use, which is what `katasharp gc`
/// (<see cref="LayerCacheCollector"/>) reads as "last used".
/// </summary>
public sealed class LayerImageCache
{
    private readonly string _directory;
    private readonly ErofsBuilder _builder;
    private readonly RuntimeLog _log;

    public LayerImageCache(string directory, ErofsBuilder builder, RuntimeLog log)
    {
        _directory = directory;
        _builder = builder;
        _log = log;
    }

    /// <summary>How many images this instance built (not found in the cache); tests and benchmarks read it.</summary>
    public int BuildCount { get; private set; }

    /// <summary>
    /// The image for an immutable layer, from the cache or built once and cached, held against
    /// `katasharp gc` until the lease is disposed: keep it for as long as a VM has the image attached.
    /// </summary>
    public async Task<LayerImageLease> LeaseAsync(SnapshotLayer layer, CancellationToken cancellationToken)
    {
        if (!layer.IsImmutable)
        {
            throw new ArgumentException($"{layer.Directory} is writable; build it with {nameof(BuildUncachedAsync)}", nameof(layer));
        }
        Directory.CreateDirectory(_directory);
        string key = KeyOf(layer.Directory);
        string image = LayerCacheLayout.Image(_directory, key);
        bool built = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Blocks only while a collector holds the exclusive lock, which it does for one unlink.
            FileLock? shared = await Task.Run(() => FileLock.AcquireShared(image), cancellationToken);
            if (shared is not null)
            {
                MarkUsed(image);
                return new LayerImageLease(image, shared, built);
            }
            // Absent, or removed by `katasharp gc` while we waited for the lock: build it (once, among shims).
            using var held = await Task.Run(() => FileLock.Acquire(LayerCacheLayout.Lock(_directory, key)), cancellationToken);
            if (File.Exists(image))
            {
                continue; // another shim built it while we waited for the lock
            }
            await BuildAtomicallyAsync(layer.Directory, image, cancellationToken);
            built = true;
            RecordSource(key, layer.Directory);
            _log.Info($"layer {layer.Directory} → {image}");
        }
    }

    /// <summary>
    /// The image's path without holding it: for callers that do not attach it (tests, benchmarks).
    /// `katasharp gc` may remove it at any time after this returns.
    /// </summary>
    public async Task<string> GetOrBuildAsync(SnapshotLayer layer, CancellationToken cancellationToken)
    {
        using LayerImageLease lease = await LeaseAsync(layer, cancellationToken);
        return lease.Path;
    }

    /// <summary>Builds an image of a writable directory into <paramref name="imagePath"/> (not cached: it may change).</summary>
    public Task BuildUncachedAsync(SnapshotLayer layer, string imagePath, CancellationToken cancellationToken) =>
        BuildAtomicallyAsync(layer.Directory, imagePath, cancellationToken);

    /// <summary>The cache key of a layer directory (see the class comment).</summary>
    public static string KeyOf(string layerDirectory)
    {
        string full = Path.GetFullPath(layerDirectory);
        FileIdentity id = FileIdentity.Of(full);
        string identity = $"{full}\n{id.Device}\n{id.Inode}\n{id.ChangeTimeNanoseconds}";
        return Convert.ToHexStringLower(LayerKeyDigest.Sha256(Encoding.UTF8.GetBytes(identity)))[..32];
    }

    /// <summary>
    /// The modification time is the image's "last used" for the collector's LRU order: atime is no
    /// use (relatime/noatime mounts, and a VM's reads go through the page cache), and the image's
    /// content never changes after the rename, so its mtime says nothing else.
    /// </summary>
    private void MarkUsed(string image)
    {
        try
        {
            File.SetLastWriteTimeUtc(image, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Debug($"cannot mark {image} used (gc may then take it for older than it is): {e.Message}");
        }
    }

    /// <summary>
    /// Which layer directory the key was made from, so the collector can tell an image whose snapshot
    /// containerd removed (its key can never be asked for again) from one that is merely unused.
    /// </summary>
    private void RecordSource(string key, string layerDirectory)
    {
        try
        {
            File.WriteAllText(LayerCacheLayout.Source(_directory, key), Path.GetFullPath(layerDirectory));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Debug($"cannot record the source of layer image {key} (gc will only evict it by age): {e.Message}");
        }
    }

    private async Task BuildAtomicallyAsync(string source, string image, CancellationToken cancellationToken)
    {
        string temporary = LayerCacheLayout.Temporary(image, Environment.ProcessId);
        try
        {
            await _builder.BuildAsync(source, temporary, cancellationToken);
            File.Move(temporary, image, overwrite: true);
            BuildCount++;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
