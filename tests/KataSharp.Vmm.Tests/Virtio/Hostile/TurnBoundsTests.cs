using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Queue;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Hostile;

/// <summary>One turn of a queue handler does bounded work however the guest shapes its chains.</summary>
public sealed class TurnBoundsTests
{
    private sealed class FixedEntropy : IEntropySource
    {
        public void Fill(Span<byte> destination) => destination.Fill(0x5A);
    }

    [Fact]
    public void A_turn_moves_at_most_the_byte_budget_however_much_the_chains_claim()
    {
        using FakeDriver driver = new FakeDriver(() => new RngDevice(entropy: new FixedEntropy(), logSink: _ => { })).Initialize(queueSize: 256);
        FakeQueue queue = driver.Queues[0];
        // Every chain names the same 64 KiB: free for the guest, 64 KiB of work for the host each.
        GuestAddress buffer = driver.Allocate(RngDevice.MaxBytesPerRequest);
        for (int i = 0; i < queue.Size; i++)
        {
            queue.AddChain((buffer.Value, (uint)RngDevice.MaxBytesPerRequest, true));
        }
        using var gate = new ManualResetEventSlim();
        driver.Loop.Post(gate.Wait); // park the event loop so only this thread runs the handler
        try
        {
            driver.Transport.ProcessQueueNow(0);

            Assert.Equal((ushort)(QueueLimits.BytesPerTurn / (ulong)RngDevice.MaxBytesPerRequest), queue.UsedIdx);
            Assert.Equal(1UL, driver.Transport.QueueEvents[0].Drain()); // it re-notified itself for the rest
        }
        finally
        {
            gate.Set();
        }
        driver.Notify(0);
        driver.WaitForUsed(0, queue.Size);
        Assert.False(driver.Device.IsFailed);
    }
}
