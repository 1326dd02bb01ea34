namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// The files of the layer cache directory, per cache key: the image (KEY.erofs), the lock a builder
/// holds while it builds (KEY.lock), the builder's temporary (KEY.erofs.tmp-PID, renamed to the image
/// when complete) and the layer directory the image was built from (KEY.source, for the collector).
/// The cache (<see cref="LayerImageCache"/>) and the collector (<see cref="LayerCacheCollector"/>)
/// must agree on these names, so they live here once.
/// </summary>
public static class LayerCacheLayout
{
    public const string ImageSuffix = ".erofs";
    public const string LockSuffix = ".lock";
    public const string SourceSuffix = ".source";
    public const string TemporaryInfix = ".erofs.tmp-";

    public static string Image(string directory, string key) => Path.Combine(directory, key + ImageSuffix);

    public static string Lock(string directory, string key) => Path.Combine(directory, key + LockSuffix);

    public static string Source(string directory, string key) => Path.Combine(directory, key + SourceSuffix);

    public static string Temporary(string image, int processId) => $"{image}.tmp-{processId}";

    /// <summary>The cache key a file of the cache belongs to, or null for a file the cache never makes.</summary>
    public static string? KeyOf(string fileName)
    {
        int temporary = fileName.IndexOf(TemporaryInfix, StringComparison.Ordinal);
        if (temporary > 0)
        {
            return fileName[..temporary];
        }
        foreach (string suffix in new[] { ImageSuffix, LockSuffix, SourceSuffix })
        {
            if (fileName.EndsWith(suffix, StringComparison.Ordinal) && fileName.Length > suffix.Length)
            {
                return fileName[..^suffix.Length];
            }
        }
        return null;
    }

    public static bool IsTemporary(string fileName) => fileName.Contains(TemporaryInfix, StringComparison.Ordinal);
}
