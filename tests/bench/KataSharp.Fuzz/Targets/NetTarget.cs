using System.Net.NetworkInformation;
using KataSharp.Fuzz.Driver;
using KataSharp.Linux;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Fuzz.Targets;

/// <summary>
/// virtio-net over an in-memory tap (<see cref="FuzzTap"/>): a guest that negotiates random feature mixes (checksum
/// and TSO offloads both ways, MRG_RXBUF, MTU, event index, indirect descriptors), posts RX chains of every shape
/// (Linux's mergeable and big-packet layouts, headers split across descriptors, too small, zero-length pieces,
/// readable first, huge, out of RAM, over its own rings) and TX frames from runts to oversized with valid and
/// hostile vnet headers, in bursts past the per-turn budget, resets the device mid-traffic and kicks at random;
/// a tap that floods frames of hostile lengths and headers (bursts past the per-turn budget), goes full, and fails
/// reads, writes and TUNSETOFFLOAD. Beyond the shared checks: every used entry names a chain the driver posted and
/// claims no more than its writable bytes (TX: none), every frame written to the tap is within
/// <see cref="NetLimits"/> and uses only negotiated offloads, the device holds at most one frame (none after a
/// reset), and its counters account for every frame the tap took or refused and every tap error.
/// </summary>
internal sealed class NetTarget : DeviceTarget
{
    private const int RxQueue = 0;
    private const int TxQueue = 1;
    private const ulong RxAreaBytes = 2 << 20;
    private const int TxSlots = 4;
    private const ulong TxSlotBytes = 72 << 10;

    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02:00:00:00:00:02");
    private static readonly ushort?[] Mtus = [null, 1500, NetOptions.MinMtu, 9000, ushort.MaxValue];

    /// <summary>Everything the device may offer, and the ring features: a probe accepts a random subset.</summary>
    private static readonly ulong[] FeatureBits =
    [
        NetFeatures.Csum, NetFeatures.GuestCsum, NetFeatures.Mtu, NetFeatures.Mac, NetFeatures.GuestTso4, NetFeatures.GuestTso6,
        NetFeatures.HostTso4, NetFeatures.HostTso6, NetFeatures.MrgRxbuf, NetFeatures.Status, VirtioFeatures.RingEventIdx,
        VirtioFeatures.RingIndirectDesc,
    ];

    private static readonly NetDropReason[] RxDrops =
    [
        NetDropReason.RxOversized, NetDropReason.RxRunt, NetDropReason.RxOffloadNotAccepted, NetDropReason.RxNoRoom,
        NetDropReason.RxBadChain, NetDropReason.RxDeviceReset,
    ];

    private readonly FuzzTap _tap;
    private readonly GuestAddress _rxArea;
    private readonly GuestAddress _txArea;
    private readonly byte[] _scratch = new byte[64];
    private int _txSlot;
    private long _offloadFailuresSeen;
    private bool _wasLive;
    private long _activations;
    private long _mergeableActivations;
    private long _offloadActivations;
    private long _rxChainsPosted;
    private long _txChainsPosted;
    private long _tapBursts;
    private long _txBursts;
    private long _resetsWithTraffic;
    private long _trustedLiveSteps;

    public NetTarget(int seed) : this(seed, new FuzzTap(seed))
    {
    }

    private NetTarget(int seed, FuzzTap tap)
        : base((loop, log) => new NetDevice("net0", new NetOptions(Mac, Mtus[(seed % Mtus.Length + Mtus.Length) % Mtus.Length]), tap, loop, log))
    {
        _tap = tap;
        _tap.AckedFeatures = () => Net.AckedFeatures;
        _rxArea = Fake.Allocate(RxAreaBytes, 4096);
        _txArea = Fake.Allocate(TxSlots * TxSlotBytes, 4096);
    }

    private NetDevice Net => (NetDevice)Fake.Device;

    /// <summary>The tap's readiness descriptor.</summary>
    protected override int MaxOwnRegistrations => 1;

    protected override void DeviceAction(Random random)
    {
        int choice = random.Next(100);
        if (choice < 28)
        {
            PostRxChains(random);
        }
        else if (choice < 50)
        {
            Transmit(random);
        }
        else if (choice < 75)
        {
            TapFrames(random);
        }
        else if (choice < 80)
        {
            TapMood(random);
        }
        else if (choice < 88)
        {
            ResetMidTraffic(random);
        }
        else
        {
            for (int i = random.Next(1, 5); i > 0; i--)
            {
                Driver.Kick(random, random.Next(Fake.Device.Queues.Count + 1));
            }
        }
    }

    // ---- guest ----

    /// <summary>How many more chains the ring takes without avail.idx running past the device (one in fifty: more).</summary>
    private static int Room(Random random, FakeQueue queue) =>
        random.Next(50) == 0 ? queue.Size : Math.Max(0, queue.Size - (ushort)(queue.AvailIdx - queue.UsedIdx));

    private void PostRxChains(Random random)
    {
        if (Driver.Queues[RxQueue] is not { } queue)
        {
            return;
        }
        // One in twenty: the ring filled with buffers of a few bytes each (a big mergeable frame then takes one chain
        // per few bytes), some of them over avail.idx (the device's own writes then publish more chains while it
        // places the frame, as another vCPU refilling the ring would).
        bool tiny = random.Next(20) == 0;
        bool clean = tiny || random.Next(3) == 0;
        int wanted = tiny ? queue.Size : random.Next(10) == 0 ? random.Next(1, queue.Size + 1) : random.Next(1, 9);
        int count = Math.Min(wanted, Room(random, queue));
        for (int i = 0; i < count; i++)
        {
            List<(ulong, uint, bool)> chain = !tiny || i == 0 ? RxChain(random, queue.Size)
                : random.Next(64) == 0 ? [(Driver.Rings(RxQueue).Avail.Value + 2, (uint)random.Next(1, 3), true)]
                : [RxPiece(random, (uint)random.Next(1, 17))];
            Driver.PostChain(random, RxQueue, chain, clean);
            _rxChainsPosted++;
        }
        if (random.Next(10) != 0)
        {
            Driver.Kick(random, RxQueue);
        }
    }

    /// <summary>One RX chain as some driver (or attacker) would lay it out.</summary>
    private List<(ulong, uint, bool)> RxChain(Random random, ushort queueSize)
    {
        int shape = random.Next(100);
        var chain = new List<(ulong, uint, bool)>();
        if (shape < 45)
        {
            // Linux with MRG_RXBUF: one buffer of about a page.
            uint length = random.Next(5) switch { 0 => 1536, 1 => 2048, 2 => 4096, 3 => 1526, _ => (uint)random.Next(64, 4097) };
            chain.Add(RxPiece(random, length));
        }
        else if (shape < 55)
        {
            // Linux big packets: the header alone, then pages up to 64 KiB.
            chain.Add(RxPiece(random, NetHeader.Size));
            for (int i = 0; i < 17 && chain.Count < queueSize; i++)
            {
                chain.Add(RxPiece(random, 4096));
            }
        }
        else if (shape < 62)
        {
            chain.Add(RxPiece(random, (uint)(NetLimits.MaxBufferedBytes + random.Next(-1, 2))));
        }
        else if (shape < 70)
        {
            uint length = random.Next(3) switch { 0 => (uint)random.Next(0, NetHeader.Size), 1 => NetHeader.Size, _ => (uint)random.Next(13, 41) };
            chain.Add(RxPiece(random, length));
        }
        else if (shape < 76)
        {
            // The header split across descriptors, then the data.
            uint[] pieces = random.Next(2) == 0 ? [3, 5, 4, 1514] : [.. Enumerable.Repeat(1u, NetHeader.Size), 1514];
            chain.AddRange(pieces.Select(length => RxPiece(random, length)));
        }
        else if (shape < 82)
        {
            // Wrong direction: something device-readable first (or only).
            var (address, length, _) = RxPiece(random, (uint)random.Next(1, 64));
            chain.Add((address, length, false));
            if (random.Next(4) != 0)
            {
                chain.Add(RxPiece(random, 2048));
            }
        }
        else if (shape < 86)
        {
            chain.AddRange(new uint[] { 0, NetHeader.Size, 0, 1514 }.Select(length => RxPiece(random, length)));
        }
        else if (shape < 90)
        {
            // Huge: past the end of RAM, or over four GiB in total.
            uint length = (uint)random.NextInt64(1 << 20, uint.MaxValue + 1L);
            chain.Add(RxPiece(random, length));
            if (random.Next(2) == 0)
            {
                chain.Add(RxPiece(random, length));
            }
        }
        else if (shape < 93)
        {
            uint length = HostileDriver.RandomLength(random);
            chain.Add((Driver.RandomAddress(random, length), length, true));
        }
        else if (shape < 95)
        {
            // Over the guest's own rings: the device's writes become avail indexes, heads and descriptors. Exactly
            // over RX avail.idx, every frame written there publishes "new" chains while the device is still placing
            // it (what another vCPU refilling the ring does in a real VM).
            var (desc, avail, used) = Driver.Rings(random.Next(2) == 0 ? RxQueue : random.Next(Fake.Device.Queues.Count));
            GuestAddress at = random.Next(3) switch { 0 => desc, 1 => avail, _ => used };
            chain.Add(random.Next(2) == 0
                ? (avail.Value + 2, (uint)random.Next(1, 3), true)
                : (at.Value + (ulong)random.Next(0, 64) * 2, (uint)random.Next(2, 4097), true));
            if (random.Next(2) == 0)
            {
                chain.Add(RxPiece(random, 4096));
            }
        }
        else
        {
            chain.AddRange(Driver.RandomBuffers(random));
        }
        return chain;
    }

    /// <summary>A device-writable buffer in the RX area (buffers overlap freely; a huge one starts at the area).</summary>
    private (ulong, uint, bool) RxPiece(Random random, uint length)
    {
        ulong offset = length >= RxAreaBytes ? 0 : (ulong)random.NextInt64(0, (long)(RxAreaBytes - length) + 1);
        return (_rxArea.Value + offset, length, true);
    }

    private void Transmit(Random random)
    {
        if (Driver.Queues[TxQueue] is not { } queue)
        {
            return;
        }
        bool burst = random.Next(12) == 0;
        int wanted = burst ? random.Next(8, 65) : random.Next(1, 4);
        int count = Math.Min(wanted, Room(random, queue));
        _txBursts += burst && count >= 8 ? 1 : 0;
        for (int i = 0; i < count; i++)
        {
            Driver.PostChain(random, TxQueue, TxChain(random, big: burst));
            _txChainsPosted++;
        }
        if (random.Next(10) != 0)
        {
            Driver.Kick(random, TxQueue);
        }
    }

    /// <summary>One TX frame (vnet header + Ethernet) in one of the TX slots, split into readable descriptors, sometimes bent.</summary>
    private List<(ulong, uint, bool)> TxChain(Random random, bool big)
    {
        int ethernet = big ? random.Next(60_000, NetLimits.MaxFrameBytes + 1) : random.Next(100) switch
        {
            < 5 => random.Next(0, NetLimits.MinFrameBytes),
            < 8 => NetLimits.MinFrameBytes,
            < 18 => 60,
            < 33 => 1514,
            < 70 => random.Next(NetLimits.MinFrameBytes, 9015),
            < 78 => NetLimits.MaxFrameBytes,
            < 86 => NetLimits.MaxFrameBytes + random.Next(1, 65),
            < 96 => random.Next(30_000, NetLimits.MaxFrameBytes + 1),
            _ => random.Next(NetLimits.MaxFrameBytes, 70_000),
        };
        bool headerless = random.Next(40) == 0;
        uint total = (uint)(ethernet + (headerless ? 0 : NetHeader.Size));
        GuestAddress at = _txArea.Add((ulong)(_txSlot++ % TxSlots) * TxSlotBytes);
        if (!headerless)
        {
            Driver.Memory.Write(at, TxHeader(random));
        }
        random.NextBytes(_scratch);
        Driver.Memory.Write(at.Add(headerless ? 0UL : NetHeader.Size), _scratch.AsSpan(0, Math.Min(ethernet, _scratch.Length)));

        var chain = new List<(ulong, uint, bool)>();
        int pieces = random.Next(4) switch { 0 => 1, 1 => 2, _ => random.Next(1, 5) };
        uint offset = 0;
        if (pieces > 1 && random.Next(2) == 0 && total > NetHeader.Size)
        {
            chain.Add((at.Value, NetHeader.Size, false)); // Linux without ANY_LAYOUT habits: the header alone
            offset = NetHeader.Size;
            pieces--;
        }
        for (int i = 0; i < pieces; i++)
        {
            uint length = i + 1 == pieces ? total - offset : (uint)random.NextInt64(0, total - offset + 1);
            chain.Add((at.Value + offset, length, false));
            offset += length;
        }
        switch (random.Next(40))
        {
            case 0: // a device-writable buffer at the end (a TX chain is device-readable only)
                chain.Add((at.Value, 16, true));
                break;
            case 1: // all of it device-writable
                chain = [.. chain.Select(piece => (piece.Item1, piece.Item2, true))];
                break;
            case 2: // one piece anywhere
                int stray = random.Next(chain.Count);
                chain[stray] = (Driver.RandomAddress(random, chain[stray].Item2), chain[stray].Item2, false);
                break;
        }
        return chain;
    }

    /// <summary>A vnet header: mostly what the negotiated features allow, sometimes offloads that were not, or noise.</summary>
    private NetHeader TxHeader(Random random)
    {
        ulong acked = Net.AckedFeatures;
        switch (random.Next(10))
        {
            case 0:
                return RandomHeader(random);
            case 1:
                return default;
            case 2:
                return new NetHeader { Flags = NetHeader.FlagDataValid };
        }
        byte gso = random.Next(8) switch
        {
            0 => NetHeader.GsoUdp,
            1 => NetHeader.GsoTcpV4 | NetHeader.GsoEcn,
            2 or 3 when (acked & NetFeatures.HostTso4) != 0 || random.Next(4) == 0 => NetHeader.GsoTcpV4,
            4 or 5 when (acked & NetFeatures.HostTso6) != 0 || random.Next(4) == 0 => NetHeader.GsoTcpV6,
            _ => NetHeader.GsoNone,
        };
        bool csum = (acked & NetFeatures.Csum) != 0 ? random.Next(3) != 0 : random.Next(8) == 0;
        return new NetHeader
        {
            Flags = csum ? NetHeader.FlagNeedsCsum : (byte)0,
            GsoType = gso,
            HeaderLength = 54,
            GsoSize = gso == NetHeader.GsoNone ? (ushort)0 : (ushort)1448,
            CsumStart = 34,
            CsumOffset = 16,
            NumBuffers = (ushort)random.Next(0, 3),
        };
    }

    private static NetHeader RandomHeader(Random random) => new()
    {
        Flags = (byte)random.Next(256),
        GsoType = (byte)random.Next(256),
        HeaderLength = (ushort)random.Next(ushort.MaxValue + 1),
        GsoSize = (ushort)random.Next(ushort.MaxValue + 1),
        CsumStart = (ushort)random.Next(ushort.MaxValue + 1),
        CsumOffset = (ushort)random.Next(ushort.MaxValue + 1),
        NumBuffers = (ushort)random.Next(ushort.MaxValue + 1),
    };

    private void ResetMidTraffic(Random random)
    {
        if (_tap.Pending > 0 || Net.IsActivated)
        {
            _resetsWithTraffic++;
        }
        switch (random.Next(2))
        {
            case 0:
                Driver.Reset();
                break;
            default:
                Driver.Probe(random, WantedFeatures(random));
                break;
        }
    }

    /// <summary>Half the probes take everything offered (what Linux does), half a random mix.</summary>
    protected override ulong? WantedFeatures(Random random) => random.Next(2) == 0 ? null : RandomFeatures(random);

    private static ulong RandomFeatures(Random random)
    {
        ulong features = VirtioFeatures.Version1;
        foreach (ulong bit in FeatureBits)
        {
            if (random.Next(2) == 0)
            {
                features |= bit;
            }
        }
        return features;
    }

    // ---- tap ----

    private void TapFrames(Random random)
    {
        bool burst = random.Next(15) == 0;
        int count = burst ? random.Next(NetLimits.FramesPerTurn + 1, FuzzTap.QueueLength + 200) : random.Next(1, 9);
        _tapBursts += burst ? 1 : 0;
        for (int i = 0; i < count; i++)
        {
            FrameFill fill = random.Next(10) switch { < 3 => FrameFill.Zeros, < 7 => FrameFill.Random, _ => FrameFill.Repeated };
            ushort value = random.Next(3) switch
            {
                0 => (ushort)random.Next(0, 600),
                1 => (ushort)((Driver.Queues[RxQueue]?.AvailIdx ?? 0) + random.Next(0, 300)), // a plausible avail.idx
                _ => (ushort)random.Next(ushort.MaxValue + 1),
            };
            _tap.Enqueue(burst && random.Next(4) != 0 ? random.Next(26, 1527) : RxFrameLength(random), RxHeader(random), fill, value);
        }
    }

    /// <summary>A frame length as the tap reports it (vnet header included): runts, around the MTU, at and past the limit.</summary>
    private static int RxFrameLength(Random random) => random.Next(100) switch
    {
        < 6 => random.Next(0, NetHeader.Size + NetLimits.MinFrameBytes),
        < 9 => NetHeader.Size + NetLimits.MinFrameBytes,
        < 54 => random.Next(NetHeader.Size + 60, NetHeader.Size + 1515),
        < 69 => random.Next(NetHeader.Size + 1515, NetHeader.Size + 9001),
        < 79 => random.Next(NetHeader.Size + 60_000, NetLimits.MaxBufferedBytes + 1),
        < 84 => NetLimits.MaxBufferedBytes,
        < 88 => NetLimits.MaxBufferedBytes + 1,
        < 97 => NetLimits.MaxBufferedBytes + random.Next(2, 10_000),
        _ => 1 << 20,
    };

    /// <summary>A vnet header from the tap: plain, DATA_VALID, partial checksum, GSO of every type, or noise.</summary>
    private static NetHeader RxHeader(Random random) => random.Next(6) switch
    {
        0 => RandomHeader(random),
        1 or 2 => default,
        3 => new NetHeader { Flags = NetHeader.FlagDataValid },
        4 => new NetHeader { Flags = NetHeader.FlagNeedsCsum, CsumStart = 34, CsumOffset = 16 },
        _ => new NetHeader
        {
            Flags = NetHeader.FlagNeedsCsum,
            GsoType = new byte[] { NetHeader.GsoTcpV4, NetHeader.GsoTcpV6, NetHeader.GsoUdp, NetHeader.GsoTcpV4 | NetHeader.GsoEcn }[random.Next(4)],
            HeaderLength = 66,
            GsoSize = 1448,
            CsumStart = 34,
            CsumOffset = 16,
        },
    };

    private void TapMood(Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                _tap.FullPercent = random.Next(1, 101);
                break;
            case 1:
                _tap.ErrorPercent = random.Next(1, 30);
                break;
            case 2:
                _tap.ErrorPercent = 100;
                break;
            case 3:
                _tap.Flush();
                break;
            default:
                _tap.FullPercent = 0;
                _tap.ErrorPercent = 0;
                break;
        }
    }

    // ---- checks ----

    protected override bool IsExpectedHostLine(string line) => FuzzTap.IsInjectedErrorLine(line);

    /// <summary>A TUNSETOFFLOAD the tap failed on purpose makes activation throw (the transport refuses it).</summary>
    protected override bool AreExpectedInternalErrors(int count, Exception? last) =>
        count <= _tap.OffloadErrors - _offloadFailuresSeen
        && last is NetDeviceException { InnerException: LinuxException failure }
        && ReferenceEquals(failure, _tap.LastOffloadFailure);

    protected override string? CheckDeviceBounds()
    {
        CheckUsed(RxQueue);
        CheckUsed(TxQueue);
        _trustedLiveSteps += Driver.Ledger(RxQueue).Trusted && Net.IsActivated ? 1 : 0;
        if (_tap.Violation is { } violation)
        {
            throw new FuzzFindingException(FindingKind.BrokenInvariant, violation);
        }
        NetMetrics metrics = Net.Metrics;
        long held = _tap.Handed - metrics.RxFrames - RxDrops.Sum(metrics.Dropped);
        if (held > 1)
        {
            return $"the device holds {held} frames from the tap (bound 1)";
        }
        if (held < 0 || held != 0 && !Net.IsActivated)
        {
            throw new FuzzFindingException(FindingKind.BrokenInvariant,
                $"the tap handed {_tap.Handed} frames, the guest got {metrics.RxFrames} and {RxDrops.Sum(metrics.Dropped)} were dropped, with the device {(Net.IsActivated ? "live" : "reset")}");
        }
        if (metrics.TxFrames != _tap.Sent || metrics.Dropped(NetDropReason.TxBackendFull) != _tap.AnsweredFull)
        {
            throw new FuzzFindingException(FindingKind.BrokenInvariant,
                $"TX frames {metrics.TxFrames} / tap-full drops {metrics.Dropped(NetDropReason.TxBackendFull)} counted, the tap took {_tap.Sent} and refused {_tap.AnsweredFull}");
        }
        if (metrics.BackendErrors < _tap.CountedErrors || metrics.BackendErrors > _tap.CountedErrors + _tap.OffloadErrors)
        {
            throw new FuzzFindingException(FindingKind.BrokenInvariant,
                $"{metrics.BackendErrors} backend errors counted for {_tap.CountedErrors} tap read/write errors and {_tap.OffloadErrors} TUNSETOFFLOAD failures");
        }
        _offloadFailuresSeen = _tap.OffloadErrors;
        CountActivation();
        return null;
    }

    /// <summary>Every used entry names a chain the driver posted and claims no more than its writable bytes; TX ones none.</summary>
    private void CheckUsed(int index)
    {
        ChainLedger ledger = Driver.Ledger(index);
        foreach (var (id, length) in Driver.TakeUsed(index))
        {
            bool trusted = ledger.Trusted;
            string? problem = ledger.Take(id, length);
            if (problem is null && trusted && index == TxQueue && length != 0)
            {
                problem = $"used entry for TX head {id} claims {length} bytes written (the device never writes a TX buffer)";
            }
            if (problem is not null)
            {
                throw new FuzzFindingException(FindingKind.BrokenInvariant, $"{(index == RxQueue ? "RX" : "TX")} queue: {problem}");
            }
        }
    }

    private void CountActivation()
    {
        bool live = Net.IsActivated;
        if (live && !_wasLive)
        {
            _activations++;
            _mergeableActivations += (Net.AckedFeatures & NetFeatures.MrgRxbuf) != 0 ? 1 : 0;
            _offloadActivations += Net.ReceiveOffloads != 0 ? 1 : 0;
        }
        _wasLive = live;
    }

    protected override void CollectCoverage(Dictionary<string, long> coverage)
    {
        NetMetrics metrics = Net.Metrics;
        coverage["activations"] = _activations;
        coverage["with MRG_RXBUF"] = _mergeableActivations;
        coverage["with tap offloads"] = _offloadActivations;
        coverage["RX chains posted"] = _rxChainsPosted;
        coverage["TX chains posted"] = _txChainsPosted;
        coverage["frames to guest"] = metrics.RxFrames;
        coverage["bytes to guest"] = metrics.RxBytes;
        coverage["frames to tap"] = metrics.TxFrames;
        coverage["bytes to tap"] = metrics.TxBytes;
        coverage["waits for RX buffers"] = metrics.RxWaitsForBuffers;
        foreach (NetDropReason reason in Enum.GetValues<NetDropReason>())
        {
            coverage[$"dropped {reason}"] = metrics.Dropped(reason);
        }
        coverage["tap errors"] = _tap.CountedErrors + _tap.SendErrorsAsDrops + _tap.OffloadErrors;
        coverage["tap queue drops"] = _tap.QueueDrops;
        coverage["tap bursts"] = _tapBursts;
        coverage["TX bursts"] = _txBursts;
        coverage["resets mid-traffic"] = _resetsWithTraffic;
        coverage["used entries matched"] = Driver.Ledger(RxQueue).Matched + Driver.Ledger(TxQueue).Matched;
        coverage["used lengths checked"] = Driver.Ledger(RxQueue).LengthsChecked + Driver.Ledger(TxQueue).LengthsChecked;
        coverage["live steps with the RX ledger trusted"] = _trustedLiveSteps;
    }
}
