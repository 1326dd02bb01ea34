namespace KataSharp.Cli.Commands;

/// <summary>Whether the host kernel's vhost-net is usable (net_datapath = "vhost" or "auto" in configuration.toml).</summary>
public static class VhostProbe
{
    public const string DevicePath = "/dev/vhost-net";

    public static (bool Usable, string Detail) Device(string path = DevicePath)
    {
        if (!File.Exists(path))
        {
            return (false, $"{path} does not exist: modprobe vhost_net to use net_datapath = \"vhost\" (the userspace data path needs nothing)");
        }
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            return (true, $"{path} opens read-write: net_datapath = \"vhost\" can be used");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return (false, $"{path} cannot be opened read-write ({e.Message}): run as root to use net_datapath = \"vhost\"");
        }
    }
}
