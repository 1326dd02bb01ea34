using KataSharp.Linux.Files;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// A cached layer image in use: a shared flock on the image file, held while a VM has the image
/// attached. `katasharp gc` (<see cref="LayerCacheCollector"/>) needs the exclusive lock to remove an
/// image, so it can never take one from under a running sandbox; a shim that dies drops its leases
/// with its descriptors (and its VM, which lived in the same process, is gone too).
/// </summary>
public sealed class LayerImageLease : IDisposable
{
    private readonly FileLock _lock;

    internal LayerImageLease(string path, FileLock held, bool built)
    {
        Path = path;
        _lock = held;
        Built = built;
    }

    public string Path { get; }

    /// <summary>True when this lease's own call built the image; false when it was in the cache already.</summary>
    public bool Built { get; }

    public void Dispose() => _lock.Dispose();
}
