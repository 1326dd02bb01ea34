using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Volumes;

/// <summary>
/// Decides what a bind of a host directory means in the VM, from kubelet's path layout
/// (<c>&lt;kubelet root&gt;/pods/&lt;uid&gt;/volumes/kubernetes.io~&lt;kind&gt;/&lt;name&gt;</c>; the root is configurable in
/// kubelet, so only the <c>volumes/kubernetes.io~kind/name</c> segments are matched) and CRI's /dev/shm bind.
/// There is no shared filesystem (no virtio-fs), as in Kata's Firecracker configuration: data volumes whose content
/// kubelet writes (configmap, secret, projected, downward API) are copied in and kept in sync; an emptyDir is a guest
/// directory the pod's containers share; the pod's /dev/shm a guest tmpfs per pod. Every other host directory
/// (hostPath, CSI and other volume plugins, <c>ctr run --mount</c>) cannot be honoured and fails Create, naming it.
/// </summary>
public static class HostDirectoryClassifier
{
    public const string ShmDestination = "/dev/shm";
    public const string HostShmSource = "/dev/shm";

    private static readonly HashSet<string> CopiedKinds = new(StringComparer.Ordinal) { "configmap", "secret", "projected", "downward-api" };
    private const string EmptyDirKind = "empty-dir";
    private const string KubeletPluginPrefix = "kubernetes.io~";

    /// <summary>Classifies one bind whose source is a host directory; throws NotImplemented naming the mount when the guest cannot honour it.</summary>
    public static HostDirectoryMount Classify(int index, string source, string destination, bool readOnly)
    {
        string[] parts = source.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i - 1] == "volumes" && parts[i].StartsWith(KubeletPluginPrefix, StringComparison.Ordinal))
            {
                return KubeletVolume(index, source, destination, readOnly, parts[i][KubeletPluginPrefix.Length..], parts[i + 1], parts.Length - (i + 2));
            }
        }
        if (parts.Contains("volume-subpaths"))
        {
            throw Refused(index, source, destination,
                "it is a subPath directory of a kubelet volume (kubelet's volume-subpaths bind), which cannot be traced back to its volume; " +
                "mount the whole configmap/secret/projected/emptyDir volume, or use subPath for a single file (files are copied in)");
        }
        if (destination.TrimEnd('/') == ShmDestination)
        {
            return source.TrimEnd('/') == HostShmSource
                ? new HostDirectoryMount(index, source, destination, readOnly, HostDirectoryUse.HostShm, "shm", "shm")
                : new HostDirectoryMount(index, source, destination, readOnly, HostDirectoryUse.PodShm, "shm", "shm");
        }
        throw Refused(index, source, destination,
            "katasharp shares no host directory with the VM (no shared filesystem, no virtio-fs). What works: kubelet's configmap, secret, " +
            "projected and downward-API volumes (copied in and kept in sync), emptyDir (a directory in the VM shared by the pod's containers), " +
            "single files (copied in); for other data use an emptyDir, or bake it into the image");
    }

    private static HostDirectoryMount KubeletVolume(int index, string source, string destination, bool readOnly, string kind, string name, int deeper)
    {
        if (CopiedKinds.Contains(kind))
        {
            // A directory inside the volume (a hand-made bind of a subdirectory) is copied as a tree of its own.
            return new HostDirectoryMount(index, source, destination, readOnly, HostDirectoryUse.CopiedVolume, kind, name);
        }
        if (kind == EmptyDirKind && deeper == 0)
        {
            return new HostDirectoryMount(index, source, destination, readOnly, HostDirectoryUse.EmptyDir, kind, name);
        }
        if (kind == EmptyDirKind)
        {
            throw Refused(index, source, destination, $"it is a subdirectory of the emptyDir volume '{name}'; mount the whole emptyDir");
        }
        throw Refused(index, source, destination,
            $"it is a kubelet '{kind}' volume '{name}', whose data lives on the host and cannot be shared with the VM (no shared filesystem); " +
            "supported: configmap, secret, projected, downward-api (copied in and kept in sync) and empty-dir");
    }

    private static RuntimeException Refused(int index, string source, string destination, string why) =>
        new(RuntimeError.NotImplemented, $"mounts[{index}]: bind mount of the host directory {source} → {destination}: {why}");
}
