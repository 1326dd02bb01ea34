using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.TunCalls;

namespace KataSharp.Linux.Network;

/// <summary>
/// An open tap interface: a descriptor of /dev/net/tun attached to a tap, read and written one Ethernet
/// frame per call (with IFF_NO_PI no prefix; with IFF_VNET_HDR each frame starts with a virtio_net_hdr).
/// A tap not made persistent disappears when its last descriptor closes.
/// </summary>
public sealed class TapDevice : IDisposable
{
    /// <summary>The clone device a tap is opened through.</summary>
    public const string CloneDevice = "/dev/net/tun";

    /// <summary>Longest interface name (IFNAMSIZ without the NUL).</summary>
    public const int MaxNameBytes = IFNAMSIZ - 1;

    private TapDevice(FileDescriptor descriptor, string name, TunFlags flags)
    {
        Descriptor = descriptor;
        Name = name;
        Flags = flags;
    }

    /// <summary>The tap's descriptor (non-blocking after <see cref="Open"/>; as handed in after <see cref="Adopt"/>).</summary>
    public FileDescriptor Descriptor { get; }

    /// <summary>The interface name in its network namespace.</summary>
    public string Name { get; }

    /// <summary>The flags the tap was attached with (TUNGETIFF), always including <see cref="TunFlags.Tap"/>.</summary>
    public TunFlags Flags { get; }

    /// <summary>
    /// Opens <see cref="CloneDevice"/> non-blocking and close-on-exec, and attaches to tap
    /// <paramref name="name"/> in the calling thread's network namespace, creating it when it does not exist
    /// (null: the kernel picks tapN). Always IFF_TAP | IFF_NO_PI, plus <paramref name="flags"/>.
    /// Needs CAP_NET_ADMIN to create a tap or attach to one owned by someone else.
    /// </summary>
    public static TapDevice Open(string? name, TunFlags flags = TunFlags.VnetHeader)
    {
        if (name is not null)
        {
            ValidateName(name);
        }
        FileDescriptor fd = FileDescriptor.Open(CloneDevice, (int)(OpenFlags.ReadWrite | OpenFlags.NonBlocking));
        try
        {
            InterfaceRequest request = Request(name ?? "", TunFlags.Tap | TunFlags.NoPacketInfo | flags);
            Ioctl.Invoke(fd, TUNSETIFF, ref request, $"TUNSETIFF {name ?? "tap%d"}");
            return Adopt(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates tap <paramref name="name"/> in the calling thread's network namespace with a vnet header
    /// (what a pod's tap for the VM is): an existing interface of that name is refused (IFF_TUN_EXCL,
    /// EBUSY), never attached to, so a name collision cannot hijack someone else's device.
    /// </summary>
    public static TapDevice Create(string name)
    {
        try
        {
            return Open(name, TunFlags.VnetHeader | TunFlags.Exclusive);
        }
        catch (LinuxException e) when (e.Errno == Errno.EBUSY)
        {
            throw new LinuxException($"ioctl(TUNSETIFF, {name})", (int)Errno.EBUSY, "an interface of that name already exists in this network namespace");
        }
    }

    /// <summary>
    /// Takes ownership of a descriptor already attached to a tap (e.g. opened by another process in a
    /// pod's network namespace and passed on): TUNGETIFF tells its name and flags. Throws
    /// <see cref="LinuxException"/> (ENOTTY, EBADFD) when <paramref name="descriptor"/> is not an attached
    /// tun/tap descriptor, and <see cref="ArgumentException"/> for a tun (IP-level) device; the
    /// descriptor stays the caller's when this throws.
    /// </summary>
    public static TapDevice Adopt(FileDescriptor descriptor)
    {
        InterfaceRequest reply = default;
        Ioctl.Invoke(descriptor, TUNGETIFF, ref reply, "TUNGETIFF");
        var flags = (TunFlags)reply.ifr_flags;
        string name = NameOf(reply);
        if ((flags & TunFlags.Tap) == 0)
        {
            throw new ArgumentException($"descriptor {descriptor.Value} is attached to '{name}', a tun (IP-level) device: a virtio-net backend needs a tap (IFF_TAP)", nameof(descriptor));
        }
        return new TapDevice(descriptor, name, flags);
    }

    /// <summary>TUNSETVNETHDRSZ: the size of the virtio_net_hdr in front of every frame both ways
    /// (10 for virtio_net_hdr, 12 for virtio_net_hdr_mrg_rxbuf / virtio 1.x).</summary>
    public void SetVnetHeaderSize(int bytes)
    {
        int size = bytes;
        Ioctl.Invoke(Descriptor, TUNSETVNETHDRSZ, ref size, $"TUNSETVNETHDRSZ {bytes}");
    }

    /// <summary>TUNGETVNETHDRSZ.</summary>
    public int GetVnetHeaderSize()
    {
        int size = 0;
        Ioctl.Invoke(Descriptor, TUNGETVNETHDRSZ, ref size, "TUNGETVNETHDRSZ");
        return size;
    }

    /// <summary>TUNSETOFFLOAD: which partial-checksum and segmentation offloads the reader accepts.</summary>
    public void SetOffloads(TunOffloads offloads) => Ioctl.Invoke(Descriptor, TUNSETOFFLOAD, (ulong)offloads, $"TUNSETOFFLOAD {offloads}");

    /// <summary>A second descriptor of the same tap (close-on-exec) for another owner, e.g. the VMM's net device:
    /// the tap lives until every descriptor is closed.</summary>
    public FileDescriptor DuplicateDescriptor() => Descriptor.DuplicateAbove(3);

    public void Dispose() => Descriptor.Dispose();

    /// <summary>The kernel's dev_valid_name rules, checked here so the error names the fix.</summary>
    private static void ValidateName(string name)
    {
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes == 0 || bytes > MaxNameBytes || name is "." or ".." || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c) || c == '\0'))
        {
            throw new ArgumentException($"'{name}' is not a valid interface name: use 1 to {MaxNameBytes} bytes without '/', ':' or whitespace", nameof(name));
        }
    }

    private static unsafe InterfaceRequest Request(string name, TunFlags flags)
    {
        InterfaceRequest request = default;
        Encoding.UTF8.GetBytes(name, new Span<byte>(request.ifr_name, IFNAMSIZ - 1));
        request.ifr_flags = (short)flags;
        return request;
    }

    private static unsafe string NameOf(in InterfaceRequest reply)
    {
        fixed (byte* name = reply.ifr_name)
        {
            var bytes = new ReadOnlySpan<byte>(name, IFNAMSIZ);
            int end = bytes.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
        }
    }
}
