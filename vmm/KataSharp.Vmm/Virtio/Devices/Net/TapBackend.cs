using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Network;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// A tap interface behind a virtio-net device: attached with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, a 12-byte
/// vnet header (virtio 1.x's virtio_net_hdr_v1, so headers pass through unchanged), non-blocking. The tap
/// is opened by name in the VMM's own network namespace (<see cref="Open"/>) or handed in as a descriptor
/// someone opened elsewhere, e.g. the shim inside a pod's network namespace (<see cref="Adopt"/>).
/// </summary>
public sealed class TapBackend : INetBackend
{
    private const TunFlags Required = TunFlags.Tap | TunFlags.NoPacketInfo | TunFlags.VnetHeader;

    private readonly TapDevice _tap;

    private TapBackend(TapDevice tap) => _tap = tap;

    /// <summary>The tap's interface name in its network namespace.</summary>
    public string Name => _tap.Name;

    public FileDescriptor ReadinessDescriptor => _tap.Descriptor;

    /// <summary>Opens (or creates) tap <paramref name="name"/> in the calling thread's network namespace.
    /// Throws <see cref="NetDeviceException"/> naming the problem and the fix.</summary>
    public static TapBackend Open(string name)
    {
        TapDevice tap;
        try
        {
            tap = TapDevice.Open(name, TunFlags.VnetHeader);
        }
        catch (ArgumentException e)
        {
            throw new NetDeviceException($"tap name: {e.Message}", e);
        }
        catch (LinuxException e)
        {
            string fix = e.Errno switch
            {
                Errno.ENOENT or Errno.ENODEV => $"{TapDevice.CloneDevice} is missing: load the tun module (modprobe tun)",
                Errno.EPERM or Errno.EACCES => "creating or attaching a tap needs CAP_NET_ADMIN (run as root)",
                Errno.EBUSY => "another process holds it (a tap has one queue unless made multi-queue)",
                Errno.EINVAL => $"'{name}' exists but is not a single-queue tap with a vnet header: delete it or use another name",
                _ => "check the tap",
            };
            throw new NetDeviceException($"cannot open tap '{name}': {e.Message}; {fix}", e);
        }
        return Configure(tap);
    }

    /// <summary>
    /// Takes ownership of <paramref name="descriptor"/>, a tap opened with TUNSETIFF flags
    /// IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (in any network namespace). Sets its vnet header size to 12 bytes
    /// and makes it non-blocking. Throws <see cref="NetDeviceException"/> when it is not such a tap; the
    /// descriptor is closed in that case too.
    /// </summary>
    public static TapBackend Adopt(FileDescriptor descriptor)
    {
        string number = descriptor.IsClosed ? "(closed)" : descriptor.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        TapDevice tap;
        try
        {
            tap = TapDevice.Adopt(descriptor);
        }
        catch (Exception e) when (e is LinuxException or ArgumentException or ObjectDisposedException)
        {
            descriptor.Dispose();
            throw new NetDeviceException($"tap descriptor {number} cannot be used: {e.Message}; hand in a descriptor of /dev/net/tun attached with TUNSETIFF (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)", e);
        }
        if ((tap.Flags & Required) != Required)
        {
            tap.Dispose();
            throw new NetDeviceException($"tap '{tap.Name}' was attached with flags {tap.Flags}: attach it with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (the device passes virtio_net_hdr to the tap)");
        }
        return Configure(tap);
    }

    private static TapBackend Configure(TapDevice tap)
    {
        try
        {
            tap.Descriptor.SetNonBlocking();
            tap.SetVnetHeaderSize(NetHeader.Size);
            tap.SetOffloads(TunOffloads.None);
            return new TapBackend(tap);
        }
        catch (LinuxException e)
        {
            tap.Dispose();
            throw new NetDeviceException($"cannot configure tap '{tap.Name}': {e.Message}; the kernel's tun driver must support IFF_VNET_HDR", e);
        }
    }

    public int TryReceive(Span<byte> buffer) => _tap.Descriptor.TryRead(buffer);

    public bool TrySend(ReadOnlySpan<byte> frame) => _tap.Descriptor.TryWrite(frame) >= 0;

    public void SetReceiveOffloads(TunOffloads offloads) => _tap.SetOffloads(offloads);

    public void Dispose() => _tap.Dispose();
}
