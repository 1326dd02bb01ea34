using System.Globalization;
using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// `katasharp gc` for the layer cache (<see cref="LayerCacheLayout"/>). In this order:
/// 1. a builder's leftovers (KEY.erofs.tmp-PID, KEY.lock, a KEY.source without its image): removed
///    when the key's build lock is free, taken without waiting, as the builders take it; a held lock
///    means a build is in progress, and it is skipped;
/// 2. orphans: images whose layer directory (KEY.source) is gone or is no longer the one the key was
///    made from, so no shim can ask for them again;
/// 3. least recently used images (modification time, set at every use) until the images fit under
///    the cap (0 = no cap).
/// An image is removed only under its exclusive flock, taken without waiting: a running sandbox holds
/// a shared one for as long as the image is attached (<see cref="LayerImageLease"/>), so an image in
/// use is skipped, and a shim that opens the image while it is being removed sees that the path no
/// longer names what it locked and builds it again. (Unlinking an attached image would not break the
/// VM, which reads through its open descriptor, but its disk space would not come back and the path
/// a second pod needs would be gone.)
/// </summary>
public static class LayerCacheCollector
{
    public static LayerCacheCollection Collect(string directory, long capBytes, bool dryRun)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capBytes);
        var removed = new List<LayerCacheRemoval>();
        var inUse = new List<string>();
        var busy = new List<string>();
        if (!Directory.Exists(directory))
        {
            return new LayerCacheCollection(directory, dryRun, capBytes, removed, inUse, busy, 0, 0);
        }

        var keys = Directory.EnumerateFiles(directory)
            .Select(path => (Path: path, Key: LayerCacheLayout.KeyOf(Path.GetFileName(path))))
            .Where(f => f.Key is not null)
            .GroupBy(f => f.Key!, f => f.Path, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        var images = new List<(string Path, long Bytes, DateTime LastUsed, string? GoneSource)>();
        foreach (var files in keys)
        {
            RemoveLeftovers(directory, files.Key, files.ToList(), dryRun, removed, busy);
            string image = LayerCacheLayout.Image(directory, files.Key);
            var info = new FileInfo(image);
            if (info.Exists)
            {
                images.Add((image, info.Length, info.LastWriteTimeUtc, GoneSource(directory, files.Key)));
            }
        }

        long total = images.Sum(i => i.Bytes);
        int kept = images.Count;
        // Orphans first (whatever the cap), then the least recently used.
        foreach (var (image, bytes, lastUsed, goneSource) in images.OrderBy(i => i.GoneSource is null).ThenBy(i => i.LastUsed))
        {
            bool overCap = capBytes > 0 && total > capBytes;
            if (goneSource is null && !overCap)
            {
                continue;
            }
            using (FileLock? exclusive = FileLock.TryAcquire(image))
            {
                if (exclusive is null)
                {
                    if (File.Exists(image))
                    {
                        inUse.Add(image);
                    }
                    continue;
                }
                if (!dryRun)
                {
                    File.Delete(image);
                    File.Delete(LayerCacheLayout.Source(directory, LayerCacheLayout.KeyOf(Path.GetFileName(image))!));
                }
            }
            total -= bytes;
            kept--;
            removed.Add(goneSource is not null
                ? new LayerCacheRemoval(image, bytes, LayerCacheRemovalReason.Orphan, $"its layer {goneSource} is gone")
                : new LayerCacheRemoval(image, bytes, LayerCacheRemovalReason.LeastRecentlyUsed,
                    $"last used {lastUsed.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC"));
        }
        return new LayerCacheCollection(directory, dryRun, capBytes, removed, inUse, busy, kept, total);
    }

    /// <summary>
    /// The key's temporaries and lock file, and a source record without an image, when no builder
    /// holds the key's lock. The lock is taken (created if absent, except in a dry run) before
    /// anything is removed, so a builder that starts meanwhile waits for us and then sees a fresh lock file.
    /// </summary>
    private static void RemoveLeftovers(string directory, string key, List<string> files, bool dryRun,
        List<LayerCacheRemoval> removed, List<string> busy)
    {
        string lockPath = LayerCacheLayout.Lock(directory, key);
        string imagePath = LayerCacheLayout.Image(directory, key);
        string sourcePath = LayerCacheLayout.Source(directory, key);
        var leftovers = files.Where(f => LayerCacheLayout.IsTemporary(Path.GetFileName(f))).ToList();
        if (!files.Contains(imagePath) && files.Contains(sourcePath))
        {
            leftovers.Add(sourcePath);
        }
        bool hasLock = files.Contains(lockPath);
        if (leftovers.Count == 0 && !hasLock)
        {
            return;
        }
        using FileLock? held = FileLock.TryAcquire(lockPath, create: !dryRun);
        if (held is null && (hasLock || !dryRun))
        {
            if (File.Exists(lockPath))
            {
                busy.Add(lockPath);
            }
            return;
        }
        if (hasLock || held is not null)
        {
            leftovers.Add(lockPath); // one we created is removed as well: it was never anyone's
        }
        foreach (string path in leftovers)
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                continue;
            }
            if (!dryRun)
            {
                // The lock file goes while we hold it: a builder waiting on it re-checks and locks a new one.
                File.Delete(path);
            }
            if (path != lockPath || hasLock)
            {
                removed.Add(new LayerCacheRemoval(path, info.Length, LayerCacheRemovalReason.Leftover, Describe(path, lockPath, sourcePath)));
            }
        }
    }

    private static string Describe(string path, string lockPath, string sourcePath) =>
        path == lockPath ? "build lock, no build in progress"
        : path == sourcePath ? "source record of a removed image"
        : "unfinished build, its builder is gone";

    /// <summary>The recorded layer directory when it is gone (or is another directory now); null when it is there or unknown.</summary>
    private static string? GoneSource(string directory, string key)
    {
        string record = LayerCacheLayout.Source(directory, key);
        string source;
        try
        {
            source = File.ReadAllText(record).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            return null; // built before sources were recorded, or unreadable: age alone decides
        }
        if (source.Length == 0)
        {
            return null;
        }
        try
        {
            return Directory.Exists(source) && LayerImageCache.KeyOf(source) == key ? null : source;
        }
        catch (LinuxException)
        {
            return source; // it vanished between the two looks
        }
    }
}
