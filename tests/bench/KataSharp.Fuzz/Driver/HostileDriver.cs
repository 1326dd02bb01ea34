using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Queue;
using KataSharp.Vmm.Virtio.Transport;

namespace KataSharp.Fuzz.Driver;

/// <summary>
/// A virtio-mmio driver that means harm, on top of the tests' <see cref="FakeDriver"/>: probes the device
/// (mostly correctly, sometimes subtly wrong), pokes random registers with random widths and values, lays
/// out rings in fixed per-queue areas, and publishes hostile descriptor chains (loops, out-of-range
/// addresses, huge lengths, wrong directions, bad indirect tables, heads out of range, avail.idx jumps).
/// Everything is chosen by the caller's <see cref="Random"/>, so a seed replays exactly. Every chain it
/// publishes is entered in the queue's <see cref="ChainLedger"/>, for targets that check the used ring.
/// </summary>
internal sealed class HostileDriver
{
    /// <summary>Guest RAM for buffers: chains point into it most of the time.</summary>
    public const ulong ArenaBytes = 1 << 20;

    private const ushort MaxQueueSize = QueueLimits.DefaultMaxQueueSize;

    private static readonly uint[] Registers =
    [
        MmioRegister.MagicValue, MmioRegister.Version, MmioRegister.DeviceId, MmioRegister.VendorId, MmioRegister.DeviceFeatures,
        MmioRegister.DeviceFeaturesSel, MmioRegister.DriverFeatures, MmioRegister.DriverFeaturesSel, MmioRegister.QueueSel,
        MmioRegister.QueueNumMax, MmioRegister.QueueNum, MmioRegister.QueueReady, MmioRegister.QueueNotify, MmioRegister.InterruptStatus,
        MmioRegister.InterruptAck, MmioRegister.Status, MmioRegister.QueueDescLow, MmioRegister.QueueDescHigh, MmioRegister.QueueDriverLow,
        MmioRegister.QueueDriverHigh, MmioRegister.QueueDeviceLow, MmioRegister.QueueDeviceHigh, MmioRegister.ShmSel, MmioRegister.ShmLenLow,
        MmioRegister.ShmLenHigh, MmioRegister.ShmBaseLow, MmioRegister.ShmBaseHigh, MmioRegister.ConfigGeneration,
    ];

    private readonly FakeDriver _driver;
    private readonly (GuestAddress Desc, GuestAddress Avail, GuestAddress Used)[] _rings;
    private readonly ushort[] _nextDescriptor;
    private readonly ChainLedger[] _ledgers;

    public HostileDriver(FakeDriver driver)
    {
        _driver = driver;
        int count = driver.Device.Queues.Count;
        _rings = new (GuestAddress, GuestAddress, GuestAddress)[count];
        for (int i = 0; i < count; i++)
        {
            _rings[i] = (driver.Allocate(FakeQueue.DescBytes(MaxQueueSize), 16), driver.Allocate(FakeQueue.AvailBytes(MaxQueueSize), 2),
                driver.Allocate(FakeQueue.UsedBytes(MaxQueueSize), 4));
        }
        Arena = driver.Allocate(ArenaBytes, 4096);
        Queues = new FakeQueue?[count];
        _nextDescriptor = new ushort[count];
        _ledgers = new ChainLedger[count];
        for (int i = 0; i < count; i++)
        {
            _ledgers[i] = new ChainLedger();
        }
    }

    public FakeDriver Fake => _driver;

    public GuestMemory Memory => _driver.Memory;

    public VirtioDevice Device => _driver.Device;

    public GuestAddress Arena { get; }

    /// <summary>The driver's view of each queue since the last probe (null: not set up, or set up with a size
    /// the device must refuse).</summary>
    public FakeQueue?[] Queues { get; }

    /// <summary>The chains published on queue <paramref name="index"/> and not yet returned.</summary>
    public ChainLedger Ledger(int index) => _ledgers[index];

    /// <summary>Where queue <paramref name="index"/>'s rings are laid out (a hostile guest may point buffers there).</summary>
    public (GuestAddress Desc, GuestAddress Avail, GuestAddress Used) Rings(int index) => _rings[index];

    /// <summary>A random address for a buffer: mostly inside the arena, sometimes (one in four; one in
    /// <paramref name="strayOneIn"/> for device-shaped requests that should mostly get through) anywhere: the RAM
    /// hole, past the end, the rings themselves, near the top of the address space.</summary>
    public ulong RandomAddress(Random random, uint length, int strayOneIn = 4) => (random.Next(strayOneIn) == 0 ? random.Next(5) : 5) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => FakeDriver.LowRamSize - (ulong)random.Next(0, 4096),
        2 => FakeDriver.HighRamStart + FakeDriver.HighRamSize - (ulong)random.Next(0, 4096),
        3 => ulong.MaxValue - (ulong)random.Next(0, 4096),
        4 => _rings[random.Next(_rings.Length)].Desc.Value + (ulong)random.Next(0, 4096),
        _ => Arena.Value + (ulong)random.NextInt64(0, (long)ArenaBytes - Math.Min(length, (uint)ArenaBytes / 2)),
    };

    /// <summary>A random buffer length: mostly small, sometimes sector multiples, zero, or huge.</summary>
    public static uint RandomLength(Random random) => random.Next(16) switch
    {
        0 => 0,
        1 => (uint)random.NextInt64(0, uint.MaxValue + 1L),
        2 => (uint)random.Next(1, 2048) * 512,
        3 => (uint)random.Next(0, 64) * 4096,
        _ => (uint)random.Next(1, 4096),
    };

    /// <summary>The Linux probe sequence, with a chance of a subtle mistake at each step. The driver accepts
    /// <paramref name="wanted"/> & offered when given (a device target's own feature mixes), else everything offered.</summary>
    public void Probe(Random random, ulong? wanted = null)
    {
        Reset();
        _driver.Write(MmioRegister.Status, (uint)DeviceStatus.Acknowledge);
        _driver.Write(MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver));
        ulong offered = _driver.ReadDeviceFeatures();
        ulong accepted = offered & (wanted ?? ulong.MaxValue);
        ulong features = random.Next(10) switch
        {
            0 => (ulong)random.NextInt64(),
            1 => accepted & ~(1UL << random.Next(64)),
            _ => accepted,
        };
        _driver.WriteDriverFeatures(features);
        _driver.Write(MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk));
        bool stray = false;
        for (int i = 0; i < _rings.Length; i++)
        {
            stray |= SetUpQueue(random, i);
        }
        if (stray)
        {
            // The device reads other descriptors than the driver wrote, or writes used entries anywhere.
            DistrustAll();
        }
        if (random.Next(20) != 0)
        {
            _driver.DriverOk();
        }
    }

    /// <summary>Sets up one queue; true when the device was given a ring address other than the driver's own.</summary>
    private bool SetUpQueue(Random random, int index)
    {
        Queues[index] = null;
        _nextDescriptor[index] = 0;
        _ledgers[index].Distrust();
        if (random.Next(30) == 0)
        {
            return false; // leave this queue unconfigured
        }
        var (desc, avail, used) = _rings[index];
        Memory.Clear(desc, FakeQueue.DescBytes(MaxQueueSize));
        Memory.Clear(avail, FakeQueue.AvailBytes(MaxQueueSize));
        Memory.Clear(used, FakeQueue.UsedBytes(MaxQueueSize));
        ushort size = random.Next(15) == 0 ? (ushort)random.Next(0, 1024) : (ushort)(1 << random.Next(0, 9));
        GuestAddress deviceDesc = random.Next(30) == 0 ? new GuestAddress(RandomAddress(random, 4096)) : desc;
        GuestAddress deviceAvail = random.Next(30) == 0 ? new GuestAddress(avail.Value + 1) : avail;
        GuestAddress deviceUsed = random.Next(30) == 0 ? new GuestAddress(RandomAddress(random, 4096)) : used;
        _driver.Write(MmioRegister.QueueSel, (uint)index);
        _driver.Write(MmioRegister.QueueNum, size);
        _driver.WriteAddress(MmioRegister.QueueDescLow, deviceDesc);
        _driver.WriteAddress(MmioRegister.QueueDriverLow, deviceAvail);
        _driver.WriteAddress(MmioRegister.QueueDeviceLow, deviceUsed);
        _driver.Write(MmioRegister.QueueReady, random.Next(40) == 0 ? 0u : 1u);
        if (size != 0 && size <= MaxQueueSize && (size & (size - 1)) == 0)
        {
            Queues[index] = new FakeQueue(Memory, size, desc, avail, used);
            _ledgers[index].Restart(size, trusted: true);
        }
        return deviceDesc != desc || deviceAvail != avail || deviceUsed != used;
    }

    /// <summary>Writes status 0: the device forgets every queue, the driver's ledgers stop meaning anything.</summary>
    public void Reset()
    {
        DistrustAll();
        _driver.Write(MmioRegister.Status, 0);
    }

    private void DistrustAll()
    {
        foreach (ChainLedger ledger in _ledgers)
        {
            ledger.Distrust();
        }
    }

    /// <summary>One random register access: any offset (mostly real registers, some config space), any width, any value.</summary>
    public void RegisterAccess(Random random)
    {
        uint offset = random.Next(10) switch
        {
            < 7 => Registers[random.Next(Registers.Length)],
            < 9 => MmioRegister.Config + (uint)random.Next(0, 96),
            _ => (uint)random.Next(0, 0x200),
        };
        int width = random.Next(8) switch { 0 => 1, 1 => 2, 2 => 8, 3 => random.Next(0, 9), _ => 4 };
        Span<byte> data = stackalloc byte[width];
        if (random.Next(2) == 0)
        {
            _driver.Transport.Read(offset, data);
            return;
        }
        random.NextBytes(data);
        if (!Device.IsActivated || offset < MmioRegister.Status + 4 && offset + (uint)width > MmioRegister.Status)
        {
            // Before DRIVER_OK queue fields are writable; a status write may reset: the ledgers may be stale.
            DistrustAll();
        }
        if (width == 4 && offset == MmioRegister.Status && random.Next(2) == 0)
        {
            // Status walks are only interesting with plausible values.
            BitConverter.TryWriteBytes(data, (uint)(1 << random.Next(0, 8)) - 1);
        }
        else if (width == 4 && offset is MmioRegister.QueueSel or MmioRegister.QueueNotify && random.Next(4) != 0)
        {
            BitConverter.TryWriteBytes(data, (uint)random.Next(0, _rings.Length + 1));
        }
        _driver.Transport.Write(offset, data);
    }

    /// <summary>
    /// Publishes one chain on queue <paramref name="index"/>: <paramref name="buffers"/> in order when given (a
    /// device-shaped request), otherwise random descriptors. Either way with a chance of hostile shapes (an
    /// indirect table, a loop, a stray next or flag, a head out of range), unless <paramref name="clean"/>: long
    /// runs of chains that must all get through (a ring of tiny buffers one frame spans) are published as given.
    /// Returns the head, or null when the queue is not set up.
    /// </summary>
    public ushort? PostChain(Random random, int index, IReadOnlyList<(ulong Address, uint Length, bool Writable)>? buffers = null, bool clean = false)
    {
        if (Queues[index] is not { } queue)
        {
            return null;
        }
        buffers ??= RandomBuffers(random);
        ushort size = queue.Size;
        ushort head = (ushort)(_nextDescriptor[index] % size);
        ChainLedger ledger = _ledgers[index];
        if (ExposesRings(buffers))
        {
            DistrustAll(); // the device may write into the rings themselves: heads and indexes become its doing
        }
        bool indirect = !clean && random.Next(25) == 0;
        int count = Math.Min(buffers.Count, size);
        bool bent = false;
        ulong capacity = 0;
        if (indirect)
        {
            PostIndirect(random, queue, head, buffers);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                ushort at = (ushort)((head + i) % size);
                bool last = i + 1 == count;
                ushort next = (ushort)((head + i + 1) % size);
                var flags = (buffers[i].Writable ? DescriptorFlags.Write : DescriptorFlags.None) | (last ? DescriptorFlags.None : DescriptorFlags.Next);
                switch (clean ? -1 : random.Next(60))
                {
                    case 0: // a loop back to the head
                        flags |= DescriptorFlags.Next;
                        next = head;
                        bent = true;
                        break;
                    case 1: // next out of the table
                        flags |= DescriptorFlags.Next;
                        next = (ushort)random.Next(size, ushort.MaxValue + 1);
                        bent = true;
                        break;
                    case 2: // a stray INDIRECT flag in a direct chain
                        flags |= DescriptorFlags.Indirect;
                        bent = true;
                        if (InRings(buffers[i].Address, buffers[i].Length))
                        {
                            DistrustAll(); // a "table" made of ring words: its descriptors may point anywhere
                        }
                        break;
                }
                queue.WriteDescriptor(at, buffers[i].Address, buffers[i].Length, flags, next);
                capacity += buffers[i].Writable ? buffers[i].Length : 0;
            }
            _nextDescriptor[index] = (ushort)((head + Math.Max(count, 1)) % size);
        }
        ushort first = head;
        if (!clean && random.Next(80) == 0)
        {
            head = (ushort)random.Next(size, ushort.MaxValue + 1); // a head outside the queue
        }
        if (indirect)
        {
            ledger.PublishedIndirect(head, first);
        }
        else
        {
            ledger.PublishedDirect(head, first, count, bent ? null : capacity);
        }
        queue.Publish(head);
        return head;
    }

    /// <summary>Could a device-writable buffer among these cover a ring (the rings come first in guest RAM, then the arena)?</summary>
    private bool ExposesRings(IReadOnlyList<(ulong Address, uint Length, bool Writable)> buffers)
    {
        foreach (var (address, length, writable) in buffers)
        {
            if (writable && InRings(address, length))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Does [address, address + length) reach into the rings (a range that wraps past 2^64 counts)?</summary>
    private bool InRings(ulong address, uint length) =>
        address < Arena.Value && (address >= _rings[0].Desc.Value || address + length > _rings[0].Desc.Value || address + length < address);

    private void PostIndirect(Random random, FakeQueue queue, ushort head, IReadOnlyList<(ulong Address, uint Length, bool Writable)> buffers)
    {
        int count = Math.Min(buffers.Count, 64);
        GuestAddress table = new(Arena.Value + (ulong)random.Next(0, (int)(ArenaBytes / 2)) / 16 * 16);
        for (int i = 0; i < count; i++)
        {
            var flags = (buffers[i].Writable ? DescriptorFlags.Write : DescriptorFlags.None) | (i + 1 < count ? DescriptorFlags.Next : DescriptorFlags.None);
            if (random.Next(30) == 0)
            {
                flags |= DescriptorFlags.Indirect; // nested
            }
            ushort next = random.Next(30) == 0 ? (ushort)random.Next(0, ushort.MaxValue + 1) : (ushort)(i + 1);
            queue.WriteDescriptorAt(table.Add(16UL * (ulong)i), buffers[i].Address, buffers[i].Length, flags, next);
        }
        uint length = random.Next(10) switch
        {
            0 => (uint)random.Next(0, 100_000),
            1 => 0,
            _ => (uint)(16 * count),
        };
        var headFlags = DescriptorFlags.Indirect | (random.Next(20) == 0 ? DescriptorFlags.Next : DescriptorFlags.None);
        ulong address = table.Value;
        if (random.Next(20) == 0)
        {
            address = RandomAddress(random, length);
            DistrustAll(); // a table read from anywhere, the rings included: its descriptors are anyone's
        }
        queue.WriteDescriptor(head, address, length, headFlags, (ushort)random.Next(0, queue.Size));
        _nextDescriptor[Array.IndexOf(Queues, queue)] = (ushort)((head + 1) % queue.Size);
    }

    /// <summary>Random descriptors: 1-8 buffers of random direction and length anywhere.</summary>
    public List<(ulong Address, uint Length, bool Writable)> RandomBuffers(Random random)
    {
        int count = random.Next(20) == 0 ? random.Next(1, 300) : random.Next(1, 9);
        var buffers = new List<(ulong, uint, bool)>(count);
        bool writable = false;
        for (int i = 0; i < count; i++)
        {
            // Mostly readable-then-writable like a real request, sometimes a readable after a writable.
            writable = random.Next(8) == 0 ? !writable : writable || random.Next(3) == 0;
            uint length = RandomLength(random);
            buffers.Add((RandomAddress(random, length), length, writable));
        }
        return buffers;
    }

    /// <summary>Ring vandalism: avail.idx jumps, suppression flags, used_event.</summary>
    public void CorruptRing(Random random, int index)
    {
        if (Queues[index] is not { } queue)
        {
            return;
        }
        switch (random.Next(4))
        {
            case 0:
                queue.SetAvailIdx((ushort)random.Next(0, ushort.MaxValue + 1));
                _ledgers[index].Distrust(); // the device may now pop stale or never-written avail slots
                break;
            case 1:
                queue.SetAvailFlags((ushort)random.Next(0, 4));
                break;
            case 2:
                queue.SetUsedEvent((ushort)random.Next(0, ushort.MaxValue + 1));
                break;
            default:
                ushort descriptor = (ushort)random.Next(0, queue.Size);
                queue.WriteDescriptor(descriptor, (ulong)random.NextInt64(), RandomLength(random),
                    (DescriptorFlags)random.Next(0, 8), (ushort)random.Next(0, ushort.MaxValue + 1));
                _ledgers[index].Overwritten(descriptor);
                break;
        }
    }

    /// <summary>Kicks queue <paramref name="index"/> (sometimes one that does not exist): through the QueueNotify
    /// register (eventfd → event loop) or by running the handler right here.</summary>
    public void Kick(Random random, int index)
    {
        if (random.Next(2) == 0)
        {
            _driver.Write(MmioRegister.QueueNotify, (uint)index);
        }
        else
        {
            _driver.Transport.ProcessQueueNow(index);
        }
    }

    /// <summary>Takes the used elements the device returned on a queue since the last call.</summary>
    public List<(uint Id, uint Length)> TakeUsed(int index) => Queues[index]?.TakeUsed() ?? [];
}
