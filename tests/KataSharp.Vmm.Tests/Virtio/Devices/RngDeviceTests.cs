using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

public sealed class RngDeviceTests
{
    /// <summary>Counts bytes so tests can tell what the device asked for.</summary>
    private sealed class CountingEntropy : IEntropySource
    {
        public long Bytes { get; private set; }

        public void Fill(Span<byte> destination)
        {
            destination.Fill(0x5A);
            Bytes += destination.Length;
        }
    }

    [Fact]
    public void Writable_buffers_are_filled_from_the_host_random_source()
    {
        using FakeDriver driver = new FakeDriver(() => new RngDevice(logSink: _ => { })).Initialize();
        Assert.Equal((uint)VirtioDeviceType.Rng, driver.Read(MmioRegister.DeviceId));
        GuestAddress a = driver.Allocate(64);
        GuestAddress b = driver.Allocate(64);
        ushort head = driver.Queues[0].AddChain((a.Value, 64, true), (b.Value, 64, true));
        driver.Notify(0);
        driver.WaitForUsed(0, 1);
        Assert.Equal((head, 128u), driver.Queues[0].UsedElement(0));
        byte[] bytes = driver.Memory.GetSpan(a, 64).ToArray().Concat(driver.Memory.GetSpan(b, 64).ToArray()).ToArray();
        Assert.True(bytes.Distinct().Count() > 16, "128 bytes from getrandom should not look constant");
        Assert.Equal(1, ((RngDevice)driver.Device).Metrics.Requests);
    }

    [Fact]
    public void A_request_is_capped_however_long_its_overlapping_buffers_claim_to_be()
    {
        var entropy = new CountingEntropy();
        using FakeDriver driver = new FakeDriver(() => new RngDevice(entropy: entropy, logSink: _ => { })).Initialize();
        GuestAddress table = driver.Allocate(16 * 1024);
        GuestAddress buffer = driver.Allocate(1 << 20);
        // 1024 descriptors all pointing at the same 1 MiB: the chain claims 1 GiB.
        for (int i = 0; i < 1024; i++)
        {
            driver.Queues[0].WriteDescriptorAt(table.Add((ulong)(16 * i)), buffer.Value, 1 << 20,
                KataSharp.Vmm.Virtio.Queue.DescriptorFlags.Write | (i < 1023 ? KataSharp.Vmm.Virtio.Queue.DescriptorFlags.Next : 0), (ushort)(i + 1));
        }
        driver.Queues[0].WriteDescriptor(0, table.Value, 16 * 1024, KataSharp.Vmm.Virtio.Queue.DescriptorFlags.Indirect);
        driver.Queues[0].Publish(0);
        driver.Transport.ProcessQueueNow(0);
        Assert.Equal([(0u, (uint)RngDevice.MaxBytesPerRequest)], driver.Queues[0].TakeUsed());
        Assert.Equal(RngDevice.MaxBytesPerRequest, entropy.Bytes);
    }

    [Fact]
    public void Read_only_buffers_get_nothing()
    {
        var entropy = new CountingEntropy();
        using FakeDriver driver = new FakeDriver(() => new RngDevice(entropy: entropy, logSink: _ => { })).Initialize();
        ushort head = driver.Queues[0].AddChain((driver.Allocate(32).Value, 32, false));
        driver.Transport.ProcessQueueNow(0);
        Assert.Equal([(head, 0u)], driver.Queues[0].TakeUsed());
        Assert.Equal(0, entropy.Bytes);
    }
}
