using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Transport;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>A device placed on the machine: the device, its transport, its slot, and the ioeventfds wired to it.</summary>
public sealed class AttachedVirtioDevice : IDisposable
{
    private readonly IReadOnlyList<IDisposable> _ioEventFds;

    internal AttachedVirtioDevice(VirtioDevice device, MmioTransport transport, MmioSlot slot, IReadOnlyList<IDisposable> ioEventFds)
    {
        Device = device;
        Transport = transport;
        Slot = slot;
        _ioEventFds = ioEventFds;
    }

    public VirtioDevice Device { get; }

    public MmioTransport Transport { get; }

    public MmioSlot Slot { get; }

    public string Name => Device.Name;

    public void Dispose()
    {
        foreach (IDisposable ioEventFd in _ioEventFds)
        {
            ioEventFd.Dispose();
        }
        Transport.Dispose();
        Device.Dispose();
    }
}
