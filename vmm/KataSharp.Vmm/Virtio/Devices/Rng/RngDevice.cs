using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Rng;

/// <summary>
/// virtio-rng (device id 4): one request queue; each chain's writable buffers are filled from the
/// host's entropy source, at most <see cref="MaxBytesPerRequest"/> per chain — the guest can make a
/// chain look arbitrarily long with overlapping descriptors, and we never spend more than this on one.
/// No configuration space, no device-specific features.
/// </summary>
public sealed class RngDevice : VirtioDevice
{
    /// <summary>Bytes served per request at most (Linux asks for far less).</summary>
    public const int MaxBytesPerRequest = 64 * 1024;

    private readonly IEntropySource _entropy;

    public RngDevice(string name = "rng", IEntropySource? entropy = null, Action<string>? logSink = null)
        : base(name, queueCount: 1, QueueLimits.DefaultMaxQueueSize, logSink)
    {
        _entropy = entropy ?? SystemEntropySource.Instance;
    }

    public override VirtioDeviceType DeviceType => VirtioDeviceType.Rng;

    public override ulong OfferedFeatures => VirtioFeatures.Common;

    public override int ConfigSize => 0;

    public RngMetrics Metrics { get; } = new();

    protected override void RenderConfig(Span<byte> config)
    {
    }

    protected override void ProcessQueue(int index) => ProcessAvailableChains(index, Serve);

    private uint Serve(DescriptorChain chain)
    {
        ChainWriter writer = chain.Writer;
        int budget = MaxBytesPerRequest;
        while (budget > 0)
        {
            Span<byte> target = writer.CurrentSpan(budget);
            if (target.IsEmpty)
            {
                break;
            }
            _entropy.Fill(target);
            writer.Advance(target.Length);
            budget -= target.Length;
        }
        Metrics.Requests++;
        Metrics.BytesServed += (long)writer.BytesWritten;
        return (uint)writer.BytesWritten;
    }
}
