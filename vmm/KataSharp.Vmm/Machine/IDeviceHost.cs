using KataSharp.Linux.Events;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Machine;

/// <summary>
/// What a device manager (e.g. virtio-mmio placement) needs from the machine to attach devices:
/// guest memory, the I/O event loop, bus slots, interrupt lines, ioeventfds and kernel command line
/// entries. Valid while the VM is Created (before Start); every method throws afterwards.
/// A test can implement it with fakes.
/// </summary>
public interface IDeviceHost
{
    GuestMemory Memory { get; }

    EventLoop EventLoop { get; }

    /// <summary>Routes guest MMIO in [<paramref name="baseAddress"/>, +<paramref name="size"/>) to <paramref name="device"/>
    /// (offsets relative to the base). Must lie outside RAM (e.g. the MMIO hole) and not overlap another device.</summary>
    void AddMmioDevice(ulong baseAddress, ulong size, IBusDevice device, string? name = null);

    /// <summary>Routes guest port I/O in [<paramref name="basePort"/>, +<paramref name="count"/>) to <paramref name="device"/>.</summary>
    void AddPioDevice(ushort basePort, ushort count, IBusDevice device, string? name = null);

    /// <summary>The irqfd-backed line for IOAPIC pin <paramref name="irq"/> (0-23); one shared instance per pin.</summary>
    IInterruptLine GetInterruptLine(uint irq);

    /// <summary>Makes a guest write of <paramref name="length"/> bytes to MMIO <paramref name="address"/> (equal to
    /// <paramref name="dataMatch"/> when given, e.g. a queue index at QueueNotify) signal <paramref name="eventFd"/>
    /// inside KVM, without a vCPU exit. Dispose the result to remove it. The caller owns the eventfd.</summary>
    IDisposable AddIoEventFd(EventFd eventFd, ulong address, int length, ulong? dataMatch);

    /// <summary>Appends parameters to the kernel command line (e.g. <c>virtio_mmio.device=4K@0xd0000000:5</c>).</summary>
    void AppendKernelCmdline(string parameters);
}
