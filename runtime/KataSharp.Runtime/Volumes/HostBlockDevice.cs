namespace KataSharp.Runtime.Volumes;

/// <summary>
/// A bind whose source is a host block device (kubelet's hostPath of type BlockDevice, <c>ctr run --mount</c> of a
/// /dev node): the device goes into a spare virtio-blk slot and the container gets the guest disk's node at
/// <see cref="Destination"/> (<see cref="Oci.VmSpecAdapter"/>).
/// </summary>
/// <param name="Index">Its index in the spec's <c>mounts</c>, for messages.</param>
/// <param name="ReadOnly">The mount has <c>ro</c>: the device is opened read-only on the host and the VMM refuses guest writes.</param>
/// <param name="Major">The host device's major number (for messages and the devices-cgroup decision).</param>
/// <param name="Minor">The host device's minor number.</param>
public sealed record HostBlockDevice(int Index, string Source, string Destination, bool ReadOnly, uint Major, uint Minor)
{
    /// <summary>How messages name the mount.</summary>
    public string Describe() => $"mounts[{Index}] ({Source} → {Destination}, host block device {Major}:{Minor}{(ReadOnly ? ", ro" : "")})";
}
