using KataSharp.Linux.Events;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Kvm;

namespace KataSharp.Vmm.Machine;

/// <summary>An interrupt line backed by a KVM irqfd: <see cref="Trigger"/> is one eventfd write,
/// and KVM pulses the IOAPIC/PIC input without the VMM touching a vCPU.</summary>
public sealed class IrqFdLine : IInterruptLine, IDisposable
{
    private readonly VmFd _vm;
    private readonly EventFd _eventFd;

    public IrqFdLine(VmFd vm, uint irq)
    {
        _vm = vm;
        Irq = irq;
        _eventFd = EventFd.Create();
        try
        {
            vm.RegisterIrqFd(_eventFd, irq);
        }
        catch
        {
            _eventFd.Dispose();
            throw;
        }
    }

    public uint Irq { get; }

    public void Trigger() => _eventFd.Signal();

    /// <summary>Releases the eventfd. The VM's irqfd goes away with the VM (or when the fd closes).</summary>
    public void Dispose() => _eventFd.Dispose();
}
