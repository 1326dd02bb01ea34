namespace KataSharp.Runtime.Rootfs;

/// <summary>What one run of <see cref="LayerCacheCollector"/> did, and the cache it left.</summary>
/// <param name="InUse">Images a running sandbox holds (a <see cref="LayerImageLease"/>), which were not touched.</param>
/// <param name="Busy">Lock files a builder holds right now (a build is in progress), which were not touched.</param>
/// <param name="ImagesKept">Images left in the cache.</param>
/// <param name="ImageBytesKept">Their bytes: over <paramref name="CapBytes"/> only when the rest is in use.</param>
/// <param name="CapBytes">The size cap applied; 0 = none.</param>
public sealed record LayerCacheCollection(
    string Directory,
    bool DryRun,
    long CapBytes,
    IReadOnlyList<LayerCacheRemoval> Removed,
    IReadOnlyList<string> InUse,
    IReadOnlyList<string> Busy,
    int ImagesKept,
    long ImageBytesKept)
{
    public long BytesFreed => Removed.Sum(r => r.Bytes);
}
