using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Queue;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Randomized;

/// <summary>
/// Random descriptor tables, indirect tables and available rings (addresses near RAM edges, wrapping
/// lengths, random flags and next links, index jumps). Processing must finish within a deadline, throw
/// nothing, return only heads that exist, and write guest memory only inside the used ring and buffers
/// that some descriptor marked device-writable.
/// </summary>
public sealed class RandomDescriptorTests : IDisposable
{
    private const ulong Window = 0x20_0000; // buffers mostly land in [2 MiB, 4 MiB)

    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string> Devices() => ["rng", "blk", "recording"];

    [Theory]
    [MemberData(nameof(Devices))]
    public void Random_chains_are_processed_safely(string kind)
    {
        string disk = _files.CreateFile("disk.img", 256 * 1024, i => (byte)(i >> 9));
        long chainsServed = 0;
        Seeds.Run($"descriptors-{kind}", defaultCount: 100, seed =>
        {
            var random = new Random(seed);
            ushort size = (ushort)(1 << random.Next(1, 8));
            using var driver = new FakeDriver(() => kind switch
            {
                "rng" => new RngDevice(logSink: _ => { }),
                "blk" => new BlockDevice("blk", readOnly: random.Next(2) == 0, "serial", disk, _ => { }),
                _ => new RecordingDevice(logSink: _ => { }),
            });
            ulong features = VirtioFeatures.Version1 | (random.Next(2) == 0 ? VirtioFeatures.RingIndirectDesc : 0) | (random.Next(2) == 0 ? VirtioFeatures.RingEventIdx : 0);
            driver.Initialize(features, size);
            FakeQueue queue = driver.Queues[0];
            var writable = new List<(ulong Start, ulong Length)>();
            FillTable(driver, random, queue.Desc, size, writable, allowIndirect: true);
            for (int i = 0; i < size; i++)
            {
                queue.Publish((ushort)(random.Next(8) == 0 ? random.Next(ushort.MaxValue) : random.Next(size)));
            }
            if (random.Next(10) == 0)
            {
                queue.SetAvailIdx((ushort)random.Next(ushort.MaxValue));
            }
            queue.SetUsedEvent((ushort)random.Next(size * 2));
            var before = Snapshot(driver.Memory);

            Task run = Task.Run(() => driver.Transport.ProcessQueueNow(0));
            Assert.True(run.Wait(TimeSpan.FromSeconds(10)), "processing did not finish: a hang");
            Assert.Empty(driver.LoopErrors);

            foreach (var (id, _) in queue.TakeUsed())
            {
                Assert.True(id < size, $"used element names head {id} in a queue of {size}");
                chainsServed++;
            }
            writable.Add((queue.Used.Value, FakeQueue.UsedBytes(size)));
            AssertOnlyWritableChanged(before, Snapshot(driver.Memory), writable);
            Assert.False(driver.Device.IsActivated && driver.Device.IsFailed && driver.Status == 0);
        });
        Assert.True(chainsServed > 100, $"only {chainsServed} chains were returned over all seeds: the generator is too hostile to test processing");
    }

    /// <summary>Random descriptors; records every buffer any descriptor (direct or in an indirect table) marks writable.</summary>
    private static void FillTable(FakeDriver driver, Random random, GuestAddress table, int entries, List<(ulong, ulong)> writable, bool allowIndirect)
    {
        for (int i = 0; i < entries; i++)
        {
            var flags = (DescriptorFlags)random.Next(8);
            if (!allowIndirect && random.Next(4) != 0)
            {
                flags &= ~DescriptorFlags.Indirect;
            }
            ulong address = RandomAddress(random);
            uint length = RandomLength(random);
            if (allowIndirect && (flags & DescriptorFlags.Indirect) != 0 && random.Next(3) != 0)
            {
                // A real indirect table with its own random entries.
                int inner = random.Next(1, 40);
                GuestAddress indirect = driver.Allocate((ulong)(16 * inner), 16);
                FillTable(driver, random, indirect, inner, writable, allowIndirect: false);
                address = indirect.Value;
                length = random.Next(5) == 0 ? RandomLength(random) : (uint)(16 * inner);
            }
            if ((flags & DescriptorFlags.Write) != 0 && address + length >= address)
            {
                writable.Add((address, length));
            }
            ushort next = (ushort)(random.Next(6) == 0 ? random.Next(ushort.MaxValue) : random.Next(entries));
            new FakeQueue(driver.Memory, 1, table, table, table).WriteDescriptorAt(table.Add((ulong)(16 * i)), address, length, flags, next);
        }
    }

    private static ulong RandomAddress(Random random) => random.Next(10) switch
    {
        0 => FakeDriver.LowRamSize - (ulong)random.Next(1, 4096),
        1 => FakeDriver.HighRamStart + FakeDriver.HighRamSize - (ulong)random.Next(1, 4096),
        2 => (ulong)random.NextInt64(),
        3 => ulong.MaxValue - (ulong)random.Next(4096),
        4 => FakeDriver.HighRamStart - (ulong)random.Next(1, 4096),
        _ => Window + (ulong)random.Next(0x20_0000),
    };

    private static uint RandomLength(Random random) => random.Next(8) switch
    {
        0 => 0,
        1 => uint.MaxValue - (uint)random.Next(16),
        2 => (uint)random.Next(),
        3 => 16,
        _ => (uint)random.Next(1, 8192),
    };

    /// <summary>The guest ranges a random descriptor can reach (allocations and the buffer window, and the
    /// last/first 64 KiB around each RAM edge); the rest of RAM is never named by the generator.</summary>
    private static readonly (ulong Start, int Length)[] Watched =
    [
        (0, (int)(2 * Window)),
        (FakeDriver.LowRamSize - 0x10000, 0x10000),
        (FakeDriver.HighRamStart, 0x10000),
        (FakeDriver.HighRamStart + FakeDriver.HighRamSize - 0x10000, 0x10000),
    ];

    private static List<(ulong Start, byte[] Bytes)> Snapshot(GuestMemory memory) =>
        Watched.Select(w =>
        {
            var bytes = new byte[w.Length];
            memory.Read(new GuestAddress(w.Start), bytes);
            return (w.Start, bytes);
        }).ToList();

    private static void AssertOnlyWritableChanged(List<(ulong Start, byte[] Bytes)> before, List<(ulong Start, byte[] Bytes)> after, List<(ulong Start, ulong Length)> writable)
    {
        const int chunk = 4096;
        for (int r = 0; r < before.Count; r++)
        {
            byte[] a = before[r].Bytes;
            byte[] b = after[r].Bytes;
            for (int offset = 0; offset < a.Length; offset += chunk)
            {
                if (a.AsSpan(offset, chunk).SequenceEqual(b.AsSpan(offset, chunk)))
                {
                    continue;
                }
                for (int i = offset; i < offset + chunk; i++)
                {
                    ulong guest = before[r].Start + (ulong)i;
                    Assert.True(a[i] == b[i] || writable.Any(w => guest >= w.Start && guest - w.Start < w.Length),
                        $"guest byte 0x{guest:x} changed but no descriptor made it device-writable");
                }
            }
        }
    }
}
