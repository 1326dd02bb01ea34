using KataSharp.Linux.Files;

namespace KataSharp.Vmm.Vhost;

/// <summary>
/// An open /dev/vhost-net, one typed method per ioctl the device uses (<see cref="VhostNet"/>), or a test's fake that
/// records the calls. Queue indexes are virtio-net's: 0 receive, 1 transmit. A null descriptor unbinds (-1).
/// Every method throws <see cref="KataSharp.Linux.LinuxException"/> naming the ioctl and errno on failure.
/// </summary>
public interface IVhostNet : IDisposable
{
    /// <summary>VHOST_SET_OWNER: binds the instance (and its worker) to the calling process's address space.</summary>
    void SetOwner();

    /// <summary>VHOST_GET_FEATURES: the ring and transport features vhost can drive.</summary>
    ulong GetFeatures();

    /// <summary>VHOST_SET_FEATURES: what the guest negotiated, restricted to <see cref="GetFeatures"/>.</summary>
    void SetFeatures(ulong features);

    /// <summary>VHOST_SET_MEM_TABLE: guest RAM, the only memory vhost will touch for the guest.</summary>
    void SetMemoryTable(IReadOnlyList<VhostMemoryRegion> regions);

    /// <summary>VHOST_SET_VRING_NUM: the queue's size.</summary>
    void SetVringNum(int queue, ushort size);

    /// <summary>VHOST_SET_VRING_BASE: the next available-ring index vhost will read.</summary>
    void SetVringBase(int queue, ushort nextAvail);

    /// <summary>VHOST_GET_VRING_BASE: the next available-ring index vhost would have read (valid once the backend is unbound).</summary>
    ushort GetVringBase(int queue);

    /// <summary>VHOST_SET_VRING_ADDR.</summary>
    void SetVringAddresses(int queue, VhostRingAddresses addresses);

    /// <summary>VHOST_SET_VRING_KICK: the eventfd the guest's notifications signal.</summary>
    void SetVringKick(int queue, FileDescriptor? eventFd);

    /// <summary>VHOST_SET_VRING_CALL: the eventfd vhost signals when the guest should be interrupted.</summary>
    void SetVringCall(int queue, FileDescriptor? eventFd);

    /// <summary>VHOST_NET_SET_BACKEND: the tap vhost moves the queue's frames to or from; null stops the queue.</summary>
    void SetBackend(int queue, FileDescriptor? backend);
}
