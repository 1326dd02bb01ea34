namespace KataSharp.Runtime.Rootfs;

/// <summary>Why the collector removes (or, in a dry run, would remove) a file of the layer cache.</summary>
public enum LayerCacheRemovalReason
{
    /// <summary>A builder's temporary or lock file that no live builder holds.</summary>
    Leftover,
    /// <summary>An image whose snapshot containerd removed: its key can never be asked for again.</summary>
    Orphan,
    /// <summary>An image evicted, least recently used first, to bring the cache under its size cap.</summary>
    LeastRecentlyUsed,
}

/// <summary>One file the collector removed (or would remove), with its size and why.</summary>
/// <param name="Detail">For a person: the layer that is gone, or when the image was last used.</param>
public sealed record LayerCacheRemoval(string Path, long Bytes, LayerCacheRemovalReason Reason, string Detail);
