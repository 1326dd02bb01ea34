using System.Text;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Engine.Devices;

/// <summary>
/// The guest kernel's own devices, as sysfs lists them: one entry "MAJ:MIN" per device under
/// <c>/sys/dev/char</c> and <c>/sys/dev/block</c>.
/// A spec's <c>linux.devices</c> were written on the host (<c>ctr run --privileged</c> lists every host
/// device: its /dev/kvm 10:232, its disks). In the guest a number names the guest kernel's device or
/// nothing, so a node for a number the guest does not have would only make the container believe it holds
/// the host's device: such nodes are not made. A container whose devices cgroup allows every device
/// (privileged) gets the guest's block devices instead, as a privileged runc container gets the host's.
/// </summary>
public sealed class GuestDevices(string sysDev = "/sys/dev")
{
    /// <summary>More block devices than a microVM has slots for: the rest are not given (and logged by the caller).</summary>
    public const int MaxBlockDevices = 256;

    /// <summary>uevent is one line per key (MAJOR, MINOR, DEVNAME, DEVTYPE, DISKSEQ): a page is plenty.</summary>
    private const int MaxUeventBytes = 4096;

    /// <summary>The devices to make and the ones left out because the guest kernel has no such number.</summary>
    public sealed record Selection(IReadOnlyList<DevicePlan> Made, IReadOnlyList<DevicePlan> NotInGuest);

    /// <summary>Whether the guest kernel has a device with this type and number.</summary>
    public bool Has(DevicePlan device) =>
        Directory.Exists(Path.Combine(Table(device.IsBlock), $"{device.Major}:{device.Minor}"));

    /// <summary>
    /// <paramref name="planned"/> without the devices the guest does not have; with
    /// <paramref name="withGuestBlockDevices"/>, plus every guest block device at /dev/DEVNAME whose path the
    /// plan does not use already.
    /// </summary>
    public Selection Select(IReadOnlyList<DevicePlan> planned, bool withGuestBlockDevices)
    {
        var made = new List<DevicePlan>();
        var notInGuest = new List<DevicePlan>();
        foreach (DevicePlan d in planned)
        {
            (Has(d) ? made : notInGuest).Add(d);
        }
        if (withGuestBlockDevices)
        {
            var paths = new HashSet<string>(made.Select(d => d.Path), StringComparer.Ordinal);
            made.AddRange(BlockDevices().Where(d => paths.Add(d.Path)));
        }
        return new Selection(made, notInGuest);
    }

    /// <summary>Every guest block device (disks and partitions), named as devtmpfs names them (uevent DEVNAME), root-only (0660).</summary>
    public IReadOnlyList<DevicePlan> BlockDevices()
    {
        var devices = new List<DevicePlan>();
        foreach (string entry in Directory.EnumerateDirectories(Table(block: true)).Order(StringComparer.Ordinal).Take(MaxBlockDevices))
        {
            if (Number(Path.GetFileName(entry)) is not (uint major, uint minor) || DevName(entry) is not string name)
            {
                continue;
            }
            devices.Add(new DevicePlan($"dev/{name}", DevicePlan.BlockDevice | 0x1b0, major, minor, 0, 0));
        }
        return devices;
    }

    private string Table(bool block)
    {
        string table = Path.Combine(sysDev, block ? "block" : "char");
        if (!Directory.Exists(table))
        {
            throw AgentException.FailedPrecondition($"cannot tell the guest's devices: {table} is missing (is sysfs mounted at /sys?)");
        }
        return table;
    }

    private static (uint, uint)? Number(string name)
    {
        string[] parts = name.Split(':');
        return parts.Length == 2 && uint.TryParse(parts[0], out uint major) && uint.TryParse(parts[1], out uint minor) ? (major, minor) : null;
    }

    /// <summary>DEVNAME from the device's uevent; null when absent or not a plain name (kept under /dev, no "..").</summary>
    private static string? DevName(string entry)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(SmallFile.Read(Path.Combine(entry, "uevent"), MaxUeventBytes));
        }
        catch (LinuxException)
        {
            return null;
        }
        string? name = text.Split('\n').FirstOrDefault(l => l.StartsWith("DEVNAME=", StringComparison.Ordinal))?["DEVNAME=".Length..];
        bool plain = name is { Length: > 0 and <= 64 } && !name.Contains("..") && !name.StartsWith('/')
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/');
        return plain ? name : null;
    }
}
