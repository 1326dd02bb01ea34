using KataSharp.Vmm.Virtio.Devices.Rng;

namespace KataSharp.Fuzz.Targets;

/// <summary>virtio-rng: chains of writable buffers of any size (the device serves at most 64 KiB each).</summary>
internal sealed class RngTarget() : DeviceTarget((_, log) => new RngDevice(logSink: log))
{
    private RngDevice Rng => (RngDevice)Fake.Device;

    protected override void DeviceAction(Random random)
    {
        int count = random.Next(1, 5);
        var buffers = new List<(ulong, uint, bool)>(count);
        for (int i = 0; i < count; i++)
        {
            uint length = random.Next(10) == 0 ? (uint)random.NextInt64(0, uint.MaxValue + 1L) : (uint)random.Next(1, 8192);
            buffers.Add((Driver.RandomAddress(random, length, strayOneIn: 40), length, random.Next(30) != 0));
        }
        Driver.PostChain(random, 0, buffers);
        Driver.Kick(random, 0);
    }

    protected override void CollectCoverage(Dictionary<string, long> coverage)
    {
        coverage["requests served"] = Rng.Metrics.Requests;
        coverage["bytes served"] = Rng.Metrics.BytesServed;
    }
}
