namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// One directory of a container's root filesystem on the host. Committed snapshot layers are
/// immutable and cached; a writable directory (an image with no layers) is converted every time.
/// </summary>
public sealed record SnapshotLayer(string Directory, bool IsImmutable);
