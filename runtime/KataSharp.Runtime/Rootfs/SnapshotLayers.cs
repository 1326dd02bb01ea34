using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Rootfs;

/// <summary>
/// Reads the read-only layer directories out of the rootfs mounts containerd's snapshotter hands
/// the shim. The writable upper and work directories are ignored on purpose: container writes
/// stay in the guest (overlayfs upper on guest-local storage), never on the host.
/// </summary>
public static class SnapshotLayers
{
    /// <summary>The layer directories, topmost first (overlayfs lowerdir order).</summary>
    public static IReadOnlyList<SnapshotLayer> From(IReadOnlyList<RootfsMount> mounts)
    {
        if (mounts.Count == 0)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument,
                "the task has no rootfs mounts: katasharp needs the image's snapshot (run it from an image, not with --rootfs)");
        }
        if (mounts.Count > 1)
        {
            throw new RuntimeException(RuntimeError.NotImplemented,
                $"the task has {mounts.Count} rootfs mounts; katasharp supports a single overlay or bind mount from an overlay snapshotter");
        }
        RootfsMount mount = mounts[0];
        return mount.Type switch
        {
            "overlay" => FromOverlay(mount),
            "bind" or "rbind" => [new SnapshotLayer(mount.Source, IsImmutable: mount.Options.Contains("ro"))],
            _ => throw new RuntimeException(RuntimeError.NotImplemented,
                $"rootfs mount type \"{mount.Type}\" is not supported; use containerd's overlayfs snapshotter (the default)"),
        };
    }

    private static IReadOnlyList<SnapshotLayer> FromOverlay(RootfsMount mount)
    {
        string? lower = mount.Options.FirstOrDefault(o => o.StartsWith("lowerdir=", StringComparison.Ordinal));
        if (lower is null)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"overlay rootfs mount without lowerdir: {string.Join(",", mount.Options)}");
        }
        // upperdir/workdir (the container's writable snapshot) are deliberately not used.
        return lower["lowerdir=".Length..].Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => new SnapshotLayer(dir, IsImmutable: true))
            .ToList();
    }
}
