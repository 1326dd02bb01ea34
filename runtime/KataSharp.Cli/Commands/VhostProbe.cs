namespace KataSharp.Cli.Commands;

/// <summary>Whether the host kernel's vhost-net is usable (net_datapath = "vhost" or "auto" in configuration.toml).</summary>
public static class VhostProbe
{
    public const string DevicePath = "/dev/vhost-net";

    public static (bool Usable, string Detail) Device(string path = DevicePath) => DeviceNodeProbe.OpenReadWrite(path,
        $"{path} does not exist: modprobe vhost_net to use net_datapath = \"vhost\" (the userspace data path needs nothing)",
        $"{path} opens read-write: net_datapath = \"vhost\" can be used",
        error => $"{path} cannot be opened read-write ({error}): run as root to use net_datapath = \"vhost\"");
}
