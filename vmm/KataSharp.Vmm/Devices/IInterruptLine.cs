namespace KataSharp.Vmm.Devices;

/// <summary>An edge-triggered interrupt into the guest (an irqfd on KVM, a counter in tests).</summary>
public interface IInterruptLine
{
    /// <summary>The guest IRQ (GSI) number this line raises.</summary>
    uint Irq { get; }

    void Trigger();
}
