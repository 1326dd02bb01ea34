using KataSharp.Vmm.Devices;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>An interrupt line that counts triggers (what an irqfd would deliver).</summary>
internal sealed class CountingInterruptLine(uint irq = 5) : IInterruptLine
{
    private int _count;

    public uint Irq => irq;

    public int Count => Volatile.Read(ref _count);

    public void Trigger() => Interlocked.Increment(ref _count);
}
