using KataSharp.Linux.Events;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>An <see cref="IDeviceHost"/> without KVM that records what a device manager asked for.</summary>
internal sealed class FakeDeviceHost : IDeviceHost, IDisposable
{
    private readonly Dictionary<uint, CountingInterruptLine> _lines = [];

    public FakeDeviceHost()
    {
        Memory = GuestMemory.Create([(new GuestAddress(0), 16 << 20)]);
        EventLoop = new EventLoop("fake-host-loop", e => Errors.Add(e));
    }

    public GuestMemory Memory { get; }

    public EventLoop EventLoop { get; }

    public List<Exception> Errors { get; } = [];

    public List<(ulong Base, ulong Size, IBusDevice Device, string? Name)> Mmio { get; } = [];

    public List<(EventFd Fd, ulong Address, int Length, ulong? DataMatch)> IoEventFds { get; } = [];

    public List<string> Cmdline { get; } = [];

    public IReadOnlyDictionary<uint, CountingInterruptLine> Lines => _lines;

    public void AddMmioDevice(ulong baseAddress, ulong size, IBusDevice device, string? name = null) => Mmio.Add((baseAddress, size, device, name));

    public void AddPioDevice(ushort basePort, ushort count, IBusDevice device, string? name = null) =>
        throw new NotSupportedException("virtio-mmio needs no port I/O");

    public IInterruptLine GetInterruptLine(uint irq)
    {
        if (!_lines.TryGetValue(irq, out CountingInterruptLine? line))
        {
            line = new CountingInterruptLine(irq);
            _lines[irq] = line;
        }
        return line;
    }

    public IDisposable AddIoEventFd(EventFd eventFd, ulong address, int length, ulong? dataMatch)
    {
        var entry = (eventFd, address, length, dataMatch);
        IoEventFds.Add(entry);
        return new Removal(() => IoEventFds.Remove(entry));
    }

    public void AppendKernelCmdline(string parameters) => Cmdline.Add(parameters);

    public void Dispose()
    {
        EventLoop.Dispose();
        Memory.Dispose();
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
