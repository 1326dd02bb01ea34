using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// A device for transport and queue tests: two queues, an 8-byte config space the test can change,
/// counts activations and resets, and records every well-formed chain it is handed (writing a marker
/// byte pattern into writable buffers).
/// </summary>
internal sealed class RecordingDevice : VirtioDevice
{
    public const ulong DeviceSpecificFeature = 1UL << 3;
    public const byte FillByte = 0xA5;

    private readonly byte[] _config = [1, 2, 3, 4, 5, 6, 7, 8];

    public RecordingDevice(ushort maxQueueSize = 256, Action<string>? logSink = null)
        : base("recording", queueCount: 2, maxQueueSize, logSink ?? (_ => { }))
    {
    }

    public override VirtioDeviceType DeviceType => VirtioDeviceType.Console;

    public override ulong OfferedFeatures => VirtioFeatures.Common | DeviceSpecificFeature;

    public override int ConfigSize => _config.Length;

    public int Activations { get; private set; }

    public int Resets { get; private set; }

    public List<(int Queue, DescriptorBuffer[] Buffers)> Chains { get; } = [];

    /// <summary>Called after each recorded chain (e.g. a "guest" that keeps submitting while we work).</summary>
    public Action<int>? AfterChain { get; set; }

    /// <summary>Changes config byte 0 like a device-side event would, with a config interrupt.</summary>
    public void ChangeConfig(byte value)
    {
        lock (Sync)
        {
            _config[0] = value;
            NotifyConfigChanged();
        }
    }

    protected override void RenderConfig(Span<byte> config) => _config.CopyTo(config);

    protected override void OnActivated() => Activations++;

    protected override void OnReset() => Resets++;

    protected override void ProcessQueue(int index) => ProcessAvailableChains(index, chain =>
    {
        Chains.Add((index, chain.Buffers.ToArray()));
        ulong skipped = chain.Reader.Remaining;
        chain.Reader.Advance((long)skipped);
        var fill = new byte[Math.Min(chain.WritableBytes, 1 << 20)];
        fill.AsSpan().Fill(FillByte);
        uint written = (uint)chain.Writer.Write(fill);
        AfterChain?.Invoke(index);
        return written;
    });
}
