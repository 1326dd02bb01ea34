using System.Globalization;
using System.Net.NetworkInformation;
using KataSharp.Linux.Files;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Vmm.Cli;

/// <summary>
/// The virtio device options of katasharp-vmm (described in <see cref="VmmCommandLine"/>): their
/// values parsed here so the core options stay in <see cref="CliOptions"/>. Produces the device list
/// the device manager attaches.
/// </summary>
public sealed class DeviceOptions
{
    private readonly List<BlockDeviceSpec> _disks = [];
    private readonly List<NetDeviceSpec> _nets = [];
    private readonly HashSet<int> _netDescriptors = [];
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
            case "--net":
                _nets.Add(ParseNet(value(), _nets.Count));
                return true;
            case "--control":
                ControlSocket = value();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The devices to attach, in slot order: disks first, then vsock, rng, and the net devices.</summary>
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
        var nets = _nets.GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1);
        if (nets is not null)
        {
            throw new CliUsageException($"two net devices are named '{nets.Key}': give each --net a different name=");
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
        specs.AddRange(_nets);
        return specs;
    }

    /// <summary>The spec is made once here: it owns the inherited descriptor (fd=N) from now on.</summary>
    private NetDeviceSpec ParseNet(string spec, int index)
    {
        string[] parts = spec.Split(',');
        string? tapName = null;
        int? fd = null;
        PhysicalAddress? mac = null;
        ushort? mtu = null;
        string name = $"net{index}";
        foreach (string part in parts)
        {
            int equals = part.IndexOf('=');
            string key = equals < 0 ? part : part[..equals];
            string text = equals < 0 ? "" : part[(equals + 1)..];
            switch (key)
            {
                case "tap" when text.Length > 0:
                    tapName = text;
                    break;
                case "fd" when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number > 2:
                    fd = number;
                    break;
                case "fd":
                    throw new CliUsageException($"--net '{spec}': fd= takes an inherited descriptor number above 2, not '{text}'");
                case "mac":
                    mac = PhysicalAddress.TryParse(text, out PhysicalAddress? parsed) && parsed.GetAddressBytes().Length == 6
                        ? parsed
                        : throw new CliUsageException($"--net '{spec}': mac= takes six hex bytes like 02:00:00:00:00:01, not '{text}'");
                    break;
                case "mtu":
                    mtu = ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort value)
                        ? value
                        : throw new CliUsageException($"--net '{spec}': mtu= takes a whole number up to 65535, not '{text}'");
                    break;
                case "name" when text.Length > 0:
                    name = text;
                    break;
                default:
                    throw new CliUsageException($"--net '{spec}': unknown part '{part}' (known: tap=NAME, fd=N, mac=MAC, mtu=N, name=NAME)");
            }
        }
        if ((tapName is null) == (fd is null))
        {
            throw new CliUsageException($"--net '{spec}' needs exactly one of tap=NAME and fd=N");
        }
        if (fd is { } inherited && !_netDescriptors.Add(inherited))
        {
            throw new CliUsageException($"--net '{spec}': descriptor {inherited} is already used by another --net");
        }
        return new NetDeviceSpec(name, mac ?? NetOptions.RandomMac())
        {
            TapName = tapName,
            TapDescriptor = fd is null ? null : new FileDescriptor(fd.Value),
            Mtu = mtu,
        };
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
