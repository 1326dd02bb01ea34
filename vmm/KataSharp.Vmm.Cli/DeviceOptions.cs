using System.Globalization;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Vmm.Cli;

/// <summary>
/// The virtio device options of katasharp-vmm (<see cref="Usage"/>): parsed here so the core options
/// stay in <see cref="CliOptions"/>. Produces the device list the device manager attaches.
/// </summary>
public sealed class DeviceOptions
{
    public const string Usage = """
        Devices (virtio-mmio; each adds a virtio_mmio.device= kernel parameter):
          --disk SPEC          a virtio-blk disk, repeatable. SPEC is PATH or "empty" (a slot with no
                               medium, capacity 0), then comma-separated flags: ro, serial=TEXT (at most
                               20 characters, default the name), name=NAME (default blk0, blk1, ...).
                               Disks appear in the guest as /dev/vda, /dev/vdb, ... in this order.
          --vsock-socket PATH  a virtio-vsock device; host clients connect to PATH and write
                               "CONNECT <port>\n"; guest connections to port P go to PATH_P
          --cid N              the guest's vsock CID (default 3)
          --rng                a virtio-rng device fed by the host's getrandom
          --control PATH       a control socket for changes after boot, one command per connection:
                               "attach NAME PATH [SERIAL]" or "detach NAME"; answers "OK" or "ERR why"
        """;

    private readonly List<BlockDeviceSpec> _disks = [];
    private string? _vsockSocket;
    private uint? _cid;
    private bool _rng;

    /// <summary>The control socket path, if one was asked for.</summary>
    public string? ControlSocket { get; private set; }

    /// <summary>Consumes <paramref name="arg"/> when it is a device option; false otherwise.</summary>
    public bool TryParse(string arg, Func<string> value)
    {
        switch (arg)
        {
            case "--disk":
                _disks.Add(ParseDisk(value(), _disks.Count));
                return true;
            case "--vsock-socket":
                _vsockSocket = value();
                return true;
            case "--cid":
                string text = value();
                _cid = uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint cid)
                    ? cid
                    : throw new CliUsageException($"--cid takes a whole number, not '{text}'");
                return true;
            case "--rng":
                _rng = true;
                return true;
            case "--control":
                ControlSocket = value();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The devices to attach, in slot order: disks first, then vsock, then rng.</summary>
    public IReadOnlyList<VirtioDeviceSpec> Specs()
    {
        if (_cid is not null && _vsockSocket is null)
        {
            throw new CliUsageException("--cid needs --vsock-socket (the vsock device is reached through that socket)");
        }
        var names = _disks.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null)
        {
            throw new CliUsageException($"two disks are named '{names.Key}': give each --disk a different name=");
        }
        var specs = new List<VirtioDeviceSpec>(_disks);
        if (_vsockSocket is not null)
        {
            specs.Add(new VsockDeviceSpec(_cid ?? VsockOptions.DefaultGuestCid, _vsockSocket));
        }
        if (_rng)
        {
            specs.Add(new RngDeviceSpec());
        }
        return specs;
    }

    private static BlockDeviceSpec ParseDisk(string spec, int index)
    {
        string[] parts = spec.Split(',');
        string? path = parts[0] == "empty" ? null : parts[0];
        if (parts[0].Length == 0)
        {
            throw new CliUsageException($"--disk '{spec}' has no path: give a disk image path or \"empty\"");
        }
        bool readOnly = false;
        string name = $"blk{index}";
        string? serial = null;
        foreach (string flag in parts.Skip(1))
        {
            if (flag == "ro")
            {
                readOnly = true;
            }
            else if (flag.StartsWith("serial=", StringComparison.Ordinal))
            {
                serial = flag["serial=".Length..];
            }
            else if (flag.StartsWith("name=", StringComparison.Ordinal) && flag.Length > "name=".Length)
            {
                name = flag["name=".Length..];
            }
            else
            {
                throw new CliUsageException($"--disk '{spec}': unknown flag '{flag}' (known: ro, serial=TEXT, name=NAME)");
            }
        }
        return new BlockDeviceSpec(name, path, readOnly, serial ?? name);
    }
}
