namespace KataSharp.Vmm.Virtio.Devices.Rng;

/// <summary>Counters of one virtio-rng device (read under the device lock or racily for display).</summary>
public sealed class RngMetrics
{
    public long Requests { get; internal set; }

    public long BytesServed { get; internal set; }
}
