namespace KataSharp.Agent.Engine.Rootfs;

/// <summary>
/// Finds a virtio-blk disk by its serial (VIRTIO_BLK_T_GET_ID, shown in /sys/block/vdX/serial):
/// disks are named by what the host put there, never by probe order.
/// </summary>
public sealed class BlockDeviceFinder(string sysBlock = "/sys/block", string dev = "/dev")
{
    /// <summary>The device node (/dev/vdX) of the disk with <paramref name="serial"/>, or null.</summary>
    public string? Find(string serial)
    {
        if (!Directory.Exists(sysBlock))
        {
            return null;
        }
        foreach (string disk in Directory.EnumerateDirectories(sysBlock))
        {
            string serialFile = Path.Combine(disk, "serial");
            if (File.Exists(serialFile) && File.ReadAllText(serialFile).Trim('\0', '\n', ' ') == serial)
            {
                return Path.Combine(dev, Path.GetFileName(disk));
            }
        }
        return null;
    }
}
