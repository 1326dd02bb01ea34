namespace KataSharp.Vmm.Virtio.Transport;

/// <summary>virtio-mmio InterruptStatus bits: which reasons are pending on the (possibly shared) IRQ line.</summary>
[Flags]
public enum InterruptStatus : uint
{
    None = 0,

    /// <summary>A queue has new used buffers.</summary>
    UsedBuffer = 1,

    /// <summary>The configuration space changed (or the device needs a reset).</summary>
    ConfigChange = 2,
}
