using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Rootfs;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Devices;

/// <summary>
/// Points each bind mount of a host block device at the guest disk the runtime put it on: the spec's source is a host
/// path (/dev/loop3), which in the guest names nothing or another device, so it is replaced by the node of the disk
/// whose serial the request gives (/dev/vdX). The mount stays a bind of a device node, with the spec's options (ro,
/// nodev...), as runc binds the host's node; whether the container may open it is the runtime's decision, made on the
/// host where the device's numbers mean something (it adds nodev when the devices cgroup would refuse it).
/// Everything comes from the runtime and is checked: serial format, an absolute destination without "..", and exactly
/// one bind mount of the spec at that destination.
/// </summary>
public static class BlockVolumeBinds
{
    /// <summary>More than a VM has block slots for ([hypervisor.katasharp] block_slots is at most 64).</summary>
    public const int MaxVolumes = 64;

    /// <summary>Rewrites the sources of <paramref name="spec"/>'s mounts in place; INVALID_ARGUMENT or NOT_FOUND naming the field.</summary>
    /// <param name="findDisk">The guest disk's node for a serial (<see cref="BlockDeviceFinder.Find"/>), or null.</param>
    public static void Apply(OciSpec spec, IReadOnlyList<BlockVolumeRequest> volumes, Func<string, string?> findDisk)
    {
        if (volumes.Count == 0)
        {
            return;
        }
        if (volumes.Count > MaxVolumes)
        {
            throw AgentException.Invalid("block_volumes", $"{volumes.Count} block volumes; at most {MaxVolumes}");
        }
        var destinations = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < volumes.Count; i++)
        {
            string field = $"block_volumes[{i}]";
            BlockVolumeRequest volume = volumes[i];
            BlockSerial.Validate(volume.BlockSerial, $"{field}.block_serial");
            string destination = volume.Destination;
            if (!destination.StartsWith('/') || destination.Split('/').Contains("..") || destination.Contains('\0') || destination.Length > 4096)
            {
                throw AgentException.Invalid($"{field}.destination", "must be an absolute path inside the container, without '..'");
            }
            if (!destinations.Add(destination))
            {
                throw AgentException.Invalid($"{field}.destination", "is named by another block volume; each binds its own mount");
            }
            List<OciMount> binds = (spec.Mounts ?? []).Where(m => m.Destination == destination && IsBind(m)).ToList();
            if (binds.Count != 1)
            {
                throw AgentException.Invalid($"{field}.destination",
                    binds.Count == 0 ? "names no bind mount of the spec (mounts[].destination)" : $"names {binds.Count} bind mounts of the spec; it must name exactly one");
            }
            binds[0].Source = findDisk(volume.BlockSerial)
                ?? throw AgentException.NotFound($"no block device with serial '{volume.BlockSerial}' ({field}.block_serial); attach the host block device first");
        }
    }

    private static bool IsBind(OciMount mount) =>
        mount.Type == "bind" || (mount.Options?.Any(o => o is "bind" or "rbind") ?? false);
}
