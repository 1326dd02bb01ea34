using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Vhost.Interop;
using static KataSharp.Vmm.Vhost.Interop.VhostConstants;
using static KataSharp.Vmm.Vhost.Interop.VhostIoctls;

namespace KataSharp.Vmm.Vhost;

/// <summary>
/// An open /dev/vhost-net (the host kernel's virtio-net data path): each ioctl wrapped once, typed, failing with a
/// <see cref="LinuxException"/> that names the ioctl and errno. Closing it stops the kernel worker and drops every
/// ring, eventfd and tap reference vhost held.
/// </summary>
public sealed class VhostNet : IVhostNet
{
    public const string DefaultDevicePath = "/dev/vhost-net";

    private readonly FileDescriptor _fd;

    private VhostNet(FileDescriptor fd) => _fd = fd;

    /// <summary>Opens <paramref name="path"/> read-write (close-on-exec). Throws <see cref="LinuxException"/> (ENOENT: the
    /// vhost_net module is not loaded; EACCES: not root).</summary>
    public static VhostNet Open(string path = DefaultDevicePath) => new(FileDescriptor.Open(path, (int)OpenFlags.ReadWrite));

    /// <summary>Null when <paramref name="path"/> can be opened, else why not with the fix (for the data-path choice
    /// and <c>katasharp check</c>). Opens and closes it; no vhost worker is created.</summary>
    public static string? Unavailability(string path = DefaultDevicePath)
    {
        try
        {
            using VhostNet probe = Open(path);
            return null;
        }
        catch (LinuxException e)
        {
            string fix = e.Errno switch
            {
                Errno.ENOENT or Errno.ENODEV or Errno.ENXIO => "load the vhost_net module (modprobe vhost_net)",
                Errno.EACCES or Errno.EPERM => "it needs root (or a udev rule giving this user access)",
                _ => "check the device node",
            };
            return $"{path} cannot be opened: {e.Message}; {fix}";
        }
    }

    public void SetOwner() => Ioctl.Invoke(_fd, VHOST_SET_OWNER, 0, "VHOST_SET_OWNER");

    public ulong GetFeatures()
    {
        ulong features = 0;
        Ioctl.Invoke(_fd, VHOST_GET_FEATURES, ref features, "VHOST_GET_FEATURES");
        return features;
    }

    public void SetFeatures(ulong features) =>
        Ioctl.Invoke(_fd, VHOST_SET_FEATURES, ref features, $"VHOST_SET_FEATURES(0x{features:x})");

    public void SetMemoryTable(IReadOnlyList<VhostMemoryRegion> regions)
    {
        // struct vhost_memory ends in a flexible array: header and regions laid out in one buffer.
        int headerSize = Marshal.SizeOf<vhost_memory>();
        int regionSize = Marshal.SizeOf<vhost_memory_region>();
        byte[] buffer = new byte[headerSize + regions.Count * regionSize];
        var header = new vhost_memory { nregions = (uint)regions.Count };
        MemoryMarshal.Write(buffer, in header);
        for (int i = 0; i < regions.Count; i++)
        {
            var region = new vhost_memory_region
            {
                guest_phys_addr = regions[i].GuestAddress,
                memory_size = regions[i].Size,
                userspace_addr = regions[i].UserAddress,
            };
            MemoryMarshal.Write(buffer.AsSpan(headerSize + i * regionSize), in region);
        }
        Ioctl.Invoke(_fd, VHOST_SET_MEM_TABLE, buffer.AsSpan(), $"VHOST_SET_MEM_TABLE({regions.Count} regions)");
    }

    public void SetVringNum(int queue, ushort size)
    {
        var state = new vhost_vring_state { index = (uint)queue, num = size };
        Ioctl.Invoke(_fd, VHOST_SET_VRING_NUM, ref state, $"VHOST_SET_VRING_NUM(queue {queue}, {size})");
    }

    public void SetVringBase(int queue, ushort nextAvail)
    {
        var state = new vhost_vring_state { index = (uint)queue, num = nextAvail };
        Ioctl.Invoke(_fd, VHOST_SET_VRING_BASE, ref state, $"VHOST_SET_VRING_BASE(queue {queue}, {nextAvail})");
    }

    public ushort GetVringBase(int queue)
    {
        var state = new vhost_vring_state { index = (uint)queue };
        Ioctl.Invoke(_fd, VHOST_GET_VRING_BASE, ref state, $"VHOST_GET_VRING_BASE(queue {queue})");
        return (ushort)state.num;
    }

    public void SetVringAddresses(int queue, VhostRingAddresses addresses)
    {
        var addr = new vhost_vring_addr
        {
            index = (uint)queue,
            desc_user_addr = addresses.Descriptors,
            avail_user_addr = addresses.Avail,
            used_user_addr = addresses.Used,
        };
        Ioctl.Invoke(_fd, VHOST_SET_VRING_ADDR, ref addr, $"VHOST_SET_VRING_ADDR(queue {queue})");
    }

    public void SetVringKick(int queue, FileDescriptor? eventFd) => SetFile(VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", queue, eventFd);

    public void SetVringCall(int queue, FileDescriptor? eventFd) => SetFile(VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", queue, eventFd);

    public void SetBackend(int queue, FileDescriptor? backend) => SetFile(VHOST_NET_SET_BACKEND, "VHOST_NET_SET_BACKEND", queue, backend);

    private void SetFile(uint request, string name, int queue, FileDescriptor? descriptor)
    {
        var file = new vhost_vring_file { index = (uint)queue, fd = descriptor?.Value ?? VHOST_FILE_UNBIND };
        Ioctl.Invoke(_fd, request, ref file, $"{name}(queue {queue}, fd {file.fd})");
    }

    public void Dispose() => _fd.Dispose();
}
