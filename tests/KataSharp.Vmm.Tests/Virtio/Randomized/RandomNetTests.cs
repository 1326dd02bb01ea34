using System.Runtime.InteropServices;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Randomized;

/// <summary>
/// A hostile virtio-net guest: random TX chains (any mix of readable and writable buffers, lengths from 0 to
/// beyond the frame limit, random headers) and random RX chains, against random frames from the tap (runts,
/// oversized, random offload headers). The device must not throw, must pass only valid frames to the tap,
/// must never write a TX buffer or a readable RX buffer or beyond an RX chain, must hand the guest only
/// frames it got from the tap, in order, and must hold at most one frame on the host.
/// </summary>
public sealed class RandomNetTests
{
    private const ulong Offered = VirtioFeatures.Common | NetFeatures.Offered;

    [Fact]
    public void Random_tx_chains_never_break_the_device_and_only_valid_frames_reach_the_tap()
    {
        long framesSent = 0;
        Seeds.Run("net-tx", defaultCount: 40, seed =>
        {
            var random = new Random(seed);
            var backend = new FakeNetBackend();
            using FakeNetGuest guest = RandomGuest(random, backend);
            ushort size = guest.Tx.Size;
            var buffers = new List<(GuestAddress Address, byte[] Contents)>();
            int chains = 0;
            for (int descriptors = 0; descriptors < size && chains < size;)
            {
                int count = Math.Min(random.Next(1, 5), size - descriptors);
                var chain = new List<(ulong, uint, bool)>();
                byte[] frame = RandomTxFrame(random);
                int offset = 0;
                for (int i = 0; i < count; i++)
                {
                    bool last = i == count - 1;
                    int length = last ? frame.Length - offset : random.Next(0, Math.Max(1, frame.Length - offset));
                    length = Math.Max(length, 0);
                    GuestAddress at = guest.Driver.Allocate((ulong)Math.Max(length, 1));
                    byte[] contents = frame.AsSpan(offset, length).ToArray();
                    guest.Driver.Memory.Write(at, contents);
                    buffers.Add((at, contents));
                    bool writable = random.Next(12) == 0;
                    ulong address = random.Next(40) == 0 ? FakeDriver.LowRamSize - 8 : at.Value;
                    chain.Add((address, (uint)length, writable));
                    offset += length;
                }
                guest.Tx.AddChain(chain.ToArray());
                descriptors += count;
                chains++;
            }
            if (random.Next(20) == 0)
            {
                guest.Tx.SetAvailIdx((ushort)random.Next(ushort.MaxValue));
            }
            guest.Driver.Notify(1);

            Eventually.True(() => guest.Device.IsFailed || guest.Tx.UsedIdx == guest.Tx.AvailIdx, "every TX chain to come back");
            Assert.Empty(guest.Driver.LoopErrors);
            foreach (var (address, contents) in buffers)
            {
                Assert.Equal(contents, guest.Driver.Memory.GetSpan(address, contents.Length).ToArray());
            }
            foreach (byte[] sent in backend.Sent)
            {
                AssertValidTx(sent, guest.Device.AckedFeatures);
            }
            Assert.Equal(backend.Sent.Count, guest.Metrics.TxFrames);
            framesSent += backend.Sent.Count;

            if (!guest.Device.IsFailed)
            {
                byte[] clean = FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: 1));
                guest.Send(clean);
                Eventually.True(() => backend.Sent.Count > 0 && backend.Sent[^1].AsSpan().SequenceEqual(clean), "a clean frame after the random ones");
            }
        });
        Assert.True(framesSent > 20, $"only {framesSent} random frames reached the tap: the generator is too hostile to test transmission");
    }

    [Fact]
    public void Random_rx_chains_and_tap_frames_never_break_the_device_its_bounds_or_the_frames()
    {
        long framesDelivered = 0;
        Seeds.Run("net-rx", defaultCount: 40, seed =>
        {
            var random = new Random(seed);
            var backend = new FakeNetBackend();
            using FakeNetGuest guest = RandomGuest(random, backend);
            ushort size = guest.Rx.Size;
            ulong acked = guest.Device.AckedFeatures;

            var chains = new Dictionary<ushort, (ulong Capacity, bool Valid)>();
            var readable = new List<(GuestAddress Address, byte[] Contents)>();
            for (int descriptors = 0; descriptors < size;)
            {
                int count = Math.Min(random.Next(1, 4), size - descriptors);
                descriptors += count;
                if (random.Next(6) == 0)
                {
                    // Malformed: a readable buffer first (or only), with a pattern that must stay.
                    byte[] pattern = new byte[random.Next(1, 64)];
                    random.NextBytes(pattern);
                    GuestAddress at = guest.Driver.Allocate((ulong)pattern.Length);
                    guest.Driver.Memory.Write(at, pattern);
                    readable.Add((at, pattern));
                    var parts = new List<(ulong, uint, bool)> { (at.Value, (uint)pattern.Length, false) };
                    for (int i = 1; i < count; i++)
                    {
                        parts.Add((guest.Driver.Allocate(256).Value, 256, true));
                    }
                    chains[guest.Rx.AddChain(parts.ToArray())] = (0, false);
                    continue;
                }
                uint[] sizes = Enumerable.Range(0, count).Select(_ => RandomRxSize(random)).ToArray();
                ushort head = guest.PostRxChain(sizes);
                chains[head] = ((ulong)sizes.Sum(s => (long)s), true);
            }

            var expected = new List<byte[]>();
            int frames = random.Next(0, 120);
            for (int i = 0; i < frames; i++)
            {
                byte[] frame = RandomRxFrame(random, i);
                backend.Enqueue(frame);
                if (Acceptable(frame, acked))
                {
                    expected.Add(frame[NetHeader.Size..]);
                }
            }
            guest.KickRx();
            Settle(guest, backend);

            Assert.Empty(guest.Driver.LoopErrors);
            Assert.False(guest.Device.IsFailed, guest.Device.GuestErrors.Last);
            foreach (var (address, contents) in readable)
            {
                Assert.Equal(contents, guest.Driver.Memory.GetSpan(address, contents.Length).ToArray());
            }
            for (ushort i = 0; i != guest.Rx.UsedIdx; i++)
            {
                var (id, length) = guest.Rx.UsedElement(i);
                Assert.True(chains.TryGetValue((ushort)id, out var chain), $"used entry names head {id}, which was never posted");
                Assert.True(length <= chain.Capacity, $"the device wrote {length} bytes into a chain of {chain.Capacity}");
            }
            long rxDrops = Enum.GetValues<NetDropReason>().Where(r => r.ToString().StartsWith("Rx", StringComparison.Ordinal)).Sum(guest.Metrics.Dropped);
            long held = backend.Received - guest.Metrics.RxFrames - rxDrops;
            Assert.InRange(held, 0, 1);

            List<ReceivedFrame> delivered = guest.TakeFrames().Where(f => !f.Skipped).ToList();
            int next = 0;
            foreach (ReceivedFrame frame in delivered)
            {
                while (next < expected.Count && !expected[next].AsSpan().SequenceEqual(frame.Ethernet))
                {
                    next++;
                }
                Assert.True(next < expected.Count, "the guest got a frame the tap never sent (or out of order)");
                next++;
                if ((acked & NetFeatures.GuestCsum) == 0)
                {
                    Assert.Equal(0, frame.Header.Flags);
                }
            }
            Assert.Equal(guest.Metrics.RxFrames, delivered.Count);
            framesDelivered += delivered.Count;

            // A driver reset always brings a clean device back.
            backend.Clear();
            guest.Driver.Initialize(acked, 8);
            guest.PostRx(NetLimits.MaxBufferedBytes);
            guest.KickRx();
            byte[] clean = FakeNetGuest.Ethernet(200, seed: 7);
            backend.Enqueue(FakeNetGuest.WithHeader(clean));
            Eventually.True(() => backend.Pending == 0 && guest.Rx.UsedIdx > 0, "a clean frame after a reset");
            Assert.Contains(guest.TakeFrames(), f => f.Ethernet.AsSpan().SequenceEqual(clean));
        });
        Assert.True(framesDelivered > 100, $"only {framesDelivered} frames reached the guest: the generator is too hostile to test reception");
    }

    /// <summary>Runs RX turns until one changes nothing (the device is waiting for buffers or frames).</summary>
    private static void Settle(FakeNetGuest guest, FakeNetBackend backend)
    {
        (int, ushort, long) State() => (backend.Received, guest.Rx.UsedIdx, guest.Metrics.TotalDropped);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var before = State();
            guest.Driver.Transport.ProcessQueueNow(0);
            if (State() == before)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "RX never settled");
        }
    }

    /// <summary>A guest with random features (any subset of the offer) and a random queue size (4 to 64).</summary>
    private static FakeNetGuest RandomGuest(Random random, FakeNetBackend backend) =>
        new(backend, RandomFeatures(random), (ushort)(1 << random.Next(2, 7)));

    private static ulong RandomFeatures(Random random)
    {
        ulong features = VirtioFeatures.Version1;
        foreach (ulong bit in new[]
        {
            NetFeatures.Csum, NetFeatures.GuestCsum, NetFeatures.GuestTso4, NetFeatures.GuestTso6, NetFeatures.HostTso4,
            NetFeatures.HostTso6, NetFeatures.MrgRxbuf, NetFeatures.Mac, VirtioFeatures.RingEventIdx, VirtioFeatures.RingIndirectDesc,
        })
        {
            if (random.Next(2) == 0)
            {
                features |= bit;
            }
        }
        return features & Offered;
    }

    private static NetHeader RandomHeader(Random random) => random.Next(3) == 0
        ? new NetHeader
        {
            Flags = (byte)random.Next(256),
            GsoType = (byte)random.Next(256),
            HeaderLength = (ushort)random.Next(ushort.MaxValue),
            GsoSize = (ushort)random.Next(ushort.MaxValue),
            CsumStart = (ushort)random.Next(ushort.MaxValue),
            CsumOffset = (ushort)random.Next(ushort.MaxValue),
            NumBuffers = (ushort)random.Next(ushort.MaxValue),
        }
        : new NetHeader
        {
            Flags = (byte)(random.Next(2) == 0 ? 0 : NetHeader.FlagNeedsCsum),
            GsoType = new[] { NetHeader.GsoNone, NetHeader.GsoNone, NetHeader.GsoTcpV4, NetHeader.GsoTcpV6 }[random.Next(4)],
            GsoSize = 1448,
            CsumStart = 34,
            CsumOffset = 16,
        };

    private static int RandomFrameLength(Random random) => random.Next(10) switch
    {
        0 => random.Next(0, NetLimits.MinFrameBytes),
        1 => NetLimits.MaxFrameBytes + random.Next(1, 5000),
        2 => random.Next(NetLimits.MaxFrameBytes - 100, NetLimits.MaxFrameBytes + 1),
        _ => random.Next(NetLimits.MinFrameBytes, 3000),
    };

    private static byte[] RandomTxFrame(Random random)
    {
        int length = RandomFrameLength(random);
        byte[] ethernet = new byte[length];
        random.NextBytes(ethernet);
        return random.Next(15) == 0 ? ethernet : FakeNetGuest.WithHeader(ethernet, RandomHeader(random));
    }

    private static byte[] RandomRxFrame(Random random, int index)
    {
        int length = RandomFrameLength(random);
        byte[] ethernet = new byte[length];
        random.NextBytes(ethernet);
        if (length >= 4)
        {
            BitConverter.TryWriteBytes(ethernet, index); // distinct frames, so order is checkable
        }
        return FakeNetGuest.WithHeader(ethernet, RandomHeader(random));
    }

    private static uint RandomRxSize(Random random) => random.Next(8) switch
    {
        0 => (uint)random.Next(0, 12),
        1 => NetLimits.MaxBufferedBytes,
        _ => (uint)random.Next(12, 4000),
    };

    /// <summary>Would the device hand this tap frame to this guest (size, and offloads it accepted)?</summary>
    private static bool Acceptable(byte[] frame, ulong acked)
    {
        if (frame.Length < NetHeader.Size + NetLimits.MinFrameBytes || frame.Length > NetLimits.MaxBufferedBytes)
        {
            return false;
        }
        NetHeader header = MemoryMarshal.Read<NetHeader>(frame);
        bool gso = header.GsoType switch
        {
            NetHeader.GsoNone => true,
            NetHeader.GsoTcpV4 => (acked & NetFeatures.GuestTso4) != 0,
            NetHeader.GsoTcpV6 => (acked & NetFeatures.GuestTso6) != 0,
            _ => false,
        };
        return gso && ((acked & NetFeatures.GuestCsum) != 0 || (header.Flags & NetHeader.FlagNeedsCsum) == 0);
    }

    private static void AssertValidTx(byte[] sent, ulong acked)
    {
        Assert.InRange(sent.Length, NetHeader.Size + NetLimits.MinFrameBytes, NetLimits.MaxBufferedBytes);
        NetHeader header = MemoryMarshal.Read<NetHeader>(sent);
        Assert.Equal(0, header.NumBuffers);
        Assert.Equal(0, header.Flags & ~NetHeader.FlagNeedsCsum);
        if ((header.Flags & NetHeader.FlagNeedsCsum) != 0)
        {
            Assert.NotEqual(0UL, acked & NetFeatures.Csum);
        }
        ulong needed = header.GsoType switch
        {
            NetHeader.GsoNone => 0,
            NetHeader.GsoTcpV4 => NetFeatures.HostTso4,
            NetHeader.GsoTcpV6 => NetFeatures.HostTso6,
            _ => throw new Xunit.Sdk.XunitException($"GSO type 0x{header.GsoType:x2} reached the tap"),
        };
        Assert.Equal(needed, acked & needed);
    }
}
