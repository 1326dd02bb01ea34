using System.Security.Cryptography;
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
/// images appear atomically (built under a temporary name, then renamed).
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

    /// <summary>The image for an immutable layer: from the cache, or built once and cached.</summary>
    public async Task<string> GetOrBuildAsync(SnapshotLayer layer, CancellationToken cancellationToken)
    {
        if (!layer.IsImmutable)
        {
            throw new ArgumentException($"{layer.Directory} is writable; build it with {nameof(BuildUncachedAsync)}", nameof(layer));
        }
        Directory.CreateDirectory(_directory);
        string key = KeyOf(layer.Directory);
        string image = Path.Combine(_directory, key + ".erofs");
        if (File.Exists(image))
        {
            return image;
        }
        using var held = await Task.Run(() => FileLock.Acquire(Path.Combine(_directory, key + ".lock")), cancellationToken);
        if (File.Exists(image))
        {
            return image; // another shim built it while we waited for the lock
        }
        await BuildAtomicallyAsync(layer.Directory, image, cancellationToken);
        _log.Info($"layer {layer.Directory} → {image}");
        return image;
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
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];
    }

    private async Task BuildAtomicallyAsync(string source, string image, CancellationToken cancellationToken)
    {
        string temporary = $"{image}.tmp-{Environment.ProcessId}";
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
