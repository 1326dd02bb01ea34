using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using KataSharp.Vmm.Virtio.Transport;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>
/// Places virtio devices on a machine (before it starts): a slot from <see cref="MmioSlotAllocator"/>,
/// an <see cref="MmioTransport"/> on the MMIO bus at the slot's window, the slot's (possibly shared)
/// interrupt line, one KVM ioeventfd per queue at QueueNotify with the queue index as datamatch, and
/// the <c>virtio_mmio.device=</c> kernel parameter. Owns what it attached and disposes it.
/// </summary>
public sealed class VirtioDeviceManager : IDisposable
{
    private const int QueueNotifyWidth = 4;

    private readonly IDeviceHost _host;
    private readonly MmioSlotAllocator _slots = new();
    private readonly List<AttachedVirtioDevice> _devices = [];

    public VirtioDeviceManager(IDeviceHost host) => _host = host;

    public IReadOnlyList<AttachedVirtioDevice> Devices => _devices;

    /// <summary>The <c>virtio_mmio.device=</c> parameters of every attached device, in slot order
    /// (already appended to the machine's command line by <see cref="Attach(VirtioDevice)"/>).</summary>
    public string KernelCmdline => string.Join(' ', _devices.Select(d => d.Slot.KernelCmdlineEntry));

    /// <summary>Creates the device a spec describes and attaches it.</summary>
    public AttachedVirtioDevice Attach(VirtioDeviceSpec spec)
    {
        VirtioDevice device = spec.Create(_host.EventLoop);
        try
        {
            return Attach(device);
        }
        catch
        {
            device.Dispose(); // made here, so closed here: its medium or socket, and a block device's worker thread
            throw;
        }
    }

    public AttachedVirtioDevice Attach(VirtioDevice device)
    {
        if (_devices.Any(d => d.Name == device.Name))
        {
            throw new ArgumentException($"a virtio device named '{device.Name}' is already attached: give each device a unique name", nameof(device));
        }
        MmioSlot slot = _slots.Allocate();
        var transport = new MmioTransport(device, _host.GetInterruptLine(slot.Irq), _host.Memory, _host.EventLoop);
        var ioEventFds = new List<IDisposable>();
        try
        {
            _host.AddMmioDevice(slot.BaseAddress, slot.Size, transport, $"virtio-{device.Name}");
            for (int queue = 0; queue < transport.QueueEvents.Count; queue++)
            {
                ioEventFds.Add(_host.AddIoEventFd(transport.QueueEvents[queue], slot.QueueNotifyAddress, QueueNotifyWidth, (ulong)queue));
            }
            _host.AppendKernelCmdline(slot.KernelCmdlineEntry);
        }
        catch
        {
            foreach (IDisposable ioEventFd in ioEventFds)
            {
                ioEventFd.Dispose();
            }
            transport.Dispose();
            throw;
        }
        var attached = new AttachedVirtioDevice(device, transport, slot, ioEventFds);
        _devices.Add(attached);
        return attached;
    }

    /// <summary>The attached device called <paramref name="name"/>; throws naming the known devices when absent.</summary>
    public AttachedVirtioDevice Find(string name) =>
        _devices.FirstOrDefault(d => d.Name == name)
        ?? throw new KeyNotFoundException($"no virtio device named '{name}' (attached: {string.Join(", ", _devices.Select(d => d.Name))})");

    /// <summary>The block device called <paramref name="name"/> (for attach/replace/detach of its medium).</summary>
    public BlockDevice Block(string name) => Find(name).Device as BlockDevice
        ?? throw new KeyNotFoundException($"virtio device '{name}' is not a block device");

    /// <summary>The net device called <paramref name="name"/> (for its metrics).</summary>
    public NetDevice Net(string name) => Find(name).Device as NetDevice
        ?? throw new KeyNotFoundException($"virtio device '{name}' is not a net device");

    /// <summary>The vsock device, if one is attached.</summary>
    public VsockDevice? Vsock => _devices.Select(d => d.Device).OfType<VsockDevice>().FirstOrDefault();

    public void Dispose()
    {
        foreach (AttachedVirtioDevice device in _devices)
        {
            device.Dispose();
        }
        _devices.Clear();
    }
}
