using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Network.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Network;

/// <summary>
/// A tap interface and its queue fd (/dev/net/tun + TUNSETIFF with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR).
/// The interface is created in the network namespace of the thread that calls <see cref="Create"/> (the
/// kernel takes it from the opener) and is not persistent: it disappears with the last fd, so a process
/// that dies takes its taps with it. Every frame read or written carries a virtio_net_hdr first
/// (<see cref="VnetHeaderSize"/> bytes, 10 unless changed).
/// </summary>
public sealed unsafe class TapDevice : IDisposable
{
    /// <summary>sizeof(struct virtio_net_hdr): the kernel's default vnet header size on a tap.</summary>
    public const int DefaultVnetHeaderSize = 10;

    private TapDevice(FileDescriptor descriptor, string name)
    {
        Descriptor = descriptor;
        Name = name;
    }

    /// <summary>The queue fd: read = frames the interface sends (to the VM), write = frames it receives (from the VM).</summary>
    public FileDescriptor Descriptor { get; }

    public string Name { get; }

    public int VnetHeaderSize { get; private set; } = DefaultVnetHeaderSize;

    /// <summary>Creates tap <paramref name="name"/> in the calling thread's network namespace. An existing interface
    /// of that name is refused (EBUSY) instead of attached to.</summary>
    public static TapDevice Create(string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length is 0 or >= TunConstants.IFNAMSIZ || name.Contains('/') || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"'{name}' is not a valid interface name (1-{TunConstants.IFNAMSIZ - 1} bytes, no '/' or whitespace)", nameof(name));
        }
        var descriptor = FileDescriptor.Open("/dev/net/tun", O_RDWR);
        try
        {
            ifreq request = default;
            for (int i = 0; i < bytes.Length; i++)
            {
                request.ifr_name[i] = bytes[i];
            }
            // IFF_TUN_EXCL: an existing interface of that name is an error (EBUSY), never attached to.
            request.ifr_flags = unchecked((short)(TunConstants.IFF_TAP | TunConstants.IFF_NO_PI | TunConstants.IFF_VNET_HDR | TunConstants.IFF_TUN_EXCL));
            int rc = Ioctl.TryInvoke(descriptor, TunConstants.TUNSETIFF, (ulong)&request);
            if (rc < 0)
            {
                throw new LinuxException($"ioctl(TUNSETIFF, {name})", -rc,
                    -rc == (int)Errno.EBUSY ? "an interface of that name already exists in this network namespace" : null);
            }
            return new TapDevice(descriptor, name);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>TUNSETOFFLOAD: which offloads (partial checksums, TSO) frames written to the reader may use.</summary>
    public void SetOffloads(TapOffloads offloads) =>
        Ioctl.Invoke(Descriptor, TunConstants.TUNSETOFFLOAD, (ulong)offloads, $"TUNSETOFFLOAD({Name}, {offloads})");

    /// <summary>TUNSETVNETHDRSZ: 10 (virtio_net_hdr) or 12 (virtio_net_hdr_mrg_rxbuf / virtio 1.x).</summary>
    public void SetVnetHeaderSize(int size)
    {
        int value = size;
        Ioctl.Invoke(Descriptor, TunConstants.TUNSETVNETHDRSZ, ref value, $"TUNSETVNETHDRSZ({Name}, {size})");
        VnetHeaderSize = size;
    }

    /// <summary>Closes the fd; the interface goes with it (unless someone else holds a duplicate).</summary>
    public void Dispose() => Descriptor.Dispose();
}
