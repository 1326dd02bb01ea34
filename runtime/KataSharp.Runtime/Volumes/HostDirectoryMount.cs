namespace KataSharp.Runtime.Volumes;

/// <summary>A bind mount of a host directory the guest can honour, classified.</summary>
/// <param name="Index">Its index in the spec's <c>mounts</c>, for messages.</param>
/// <param name="Kind">kubelet's volume plugin (<c>configmap</c>, <c>secret</c>, <c>projected</c>, <c>downward-api</c>,
/// <c>empty-dir</c>), or <c>shm</c> for the /dev/shm binds.</param>
/// <param name="VolumeName">The volume's name (the path segment after <c>kubernetes.io~kind</c>), or <c>shm</c>.</param>
public sealed record HostDirectoryMount(int Index, string Source, string Destination, bool ReadOnly, HostDirectoryUse Use, string Kind, string VolumeName)
{
    /// <summary>How messages name the mount.</summary>
    public string Describe() => $"mounts[{Index}] ({Source} → {Destination}, kubelet {Kind} volume '{VolumeName}')";
}
