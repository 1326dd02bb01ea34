using System.Runtime.InteropServices;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// A guest vsock stack in miniature, behaving like Linux's virtio_transport: keeps the RX queue stocked
/// with 4 KiB buffers, answers REQUESTs on listening ports, honours the host's credit when sending,
/// sends CREDIT_UPDATE when its free space runs low after reads, replies RST to a full SHUTDOWN, and
/// checks that the host never sends more than the credit it was given. Single-threaded: the test pumps it.
/// </summary>
internal sealed class FakeVsockGuest : IDisposable
{
    public const uint Cid = 3;
    public const int RxPayloadBytes = 4096;
    public const int DefaultBufferAllocation = 256 * 1024;

    private const int RxSlotBytes = VsockPacketHeader.Size + RxPayloadBytes;
    private const int TxSlotBytes = VsockPacketHeader.Size + VsockLimits.MaxPacketPayload;

    private readonly Dictionary<(uint Guest, uint Host), GuestStream> _streams = [];
    private readonly HashSet<uint> _listening = [];
    private readonly GuestAddress _rxArea;
    private readonly GuestAddress _txArea;
    private readonly GuestAddress _eventArea;
    private readonly ushort _queueSize;
    private uint _nextPort = 50_000;
    private int _txSlot;

    public FakeVsockGuest(VsockOptions options, ushort queueSize = 64, bool splitHeaders = false)
    {
        _queueSize = queueSize;
        SplitHeaders = splitHeaders;
        Driver = new FakeDriver(loop => new VsockDevice(options, loop, logSink: _ => { })).Initialize(queueSize: queueSize);
        Device = (VsockDevice)Driver.Device;
        _rxArea = Driver.Allocate((ulong)RxSlots * RxSlotBytes);
        _txArea = Driver.Allocate((ulong)TxSlots * TxSlotBytes);
        _eventArea = Driver.Allocate(4UL * 4);
        for (int slot = 0; slot < RxSlots; slot++)
        {
            PostRx(slot);
        }
        for (ushort i = 0; i < 4; i++)
        {
            Driver.Queues[2].WriteDescriptor(i, _eventArea.Value + 4UL * i, 4, DescriptorFlags.Write);
            Driver.Queues[2].Publish(i);
        }
        Driver.Notify(0);
        Driver.Notify(2);
    }

    public FakeDriver Driver { get; }

    public VsockDevice Device { get; }

    /// <summary>Header and payload in separate descriptors (Linux before 6.3) instead of one buffer.</summary>
    public bool SplitHeaders { get; }

    /// <summary>False = the guest stops giving the device RX buffers (a guest that stopped reading the queue).</summary>
    public bool RefillRx { get; set; } = true;

    /// <summary>Payload room of every RX buffer posted from now on (at most <see cref="RxPayloadBytes"/>);
    /// 0 = buffers with room for a packet header only (a hostile guest).</summary>
    public int RxBufferPayloadBytes { get; set; } = RxPayloadBytes;

    /// <summary>RX buffers the device returned with less than a header in them (Linux drops those).</summary>
    public int DroppedRx { get; private set; }

    /// <summary>False = REQUESTs are ignored (a guest that never answers).</summary>
    public bool AnswerRequests { get; set; } = true;

    public List<uint> Events { get; } = [];

    /// <summary>Every packet received, for assertions on the protocol.</summary>
    public List<VsockPacketHeader> Received { get; } = [];

    private int RxSlots => SplitHeaders ? _queueSize / 2 : _queueSize;

    private int TxSlots => SplitHeaders ? _queueSize / 2 : _queueSize;

    public void Listen(uint port) => _listening.Add(port);

    public GuestStream? Accepted(uint guestPort) => _streams.Values.FirstOrDefault(s => s.GuestPort == guestPort && s.State == GuestStreamState.Established);

    public IEnumerable<GuestStream> Streams => _streams.Values;

    /// <summary>Opens a stream to host port <paramref name="hostPort"/> (a listener at socket_P) and waits for the answer.</summary>
    public GuestStream Connect(uint hostPort, int bufferAllocation = DefaultBufferAllocation)
    {
        var stream = new GuestStream(_nextPort++, hostPort, bufferAllocation) { State = GuestStreamState.Connecting };
        _streams[(stream.GuestPort, hostPort)] = stream;
        Send(stream, VsockOp.Request);
        PumpUntil(() => stream.State != GuestStreamState.Connecting, $"an answer to the connection to host port {hostPort}");
        return stream;
    }

    /// <summary>Sends <paramref name="data"/> in packets of at most 64 KiB, never beyond the host's credit (waiting for it).</summary>
    public void Write(GuestStream stream, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            PumpUntil(() => stream.PeerCredit > 0 || stream.State == GuestStreamState.Reset, "credit from the host");
            if (stream.State == GuestStreamState.Reset)
            {
                throw new IOException("the host reset the stream");
            }
            int n = (int)Math.Min(Math.Min(data.Length, VsockLimits.MaxPacketPayload), stream.PeerCredit);
            Send(stream, VsockOp.ReadWrite, data[..n]);
            stream.TxCount += (uint)n;
            data = data[n..];
        }
    }

    /// <summary>Takes up to <paramref name="max"/> received bytes (what a guest read() does), updating credit like Linux.</summary>
    public byte[] Read(GuestStream stream, int max = int.MaxValue)
    {
        int n = Math.Min(max, stream.Unread.Count);
        byte[] bytes = stream.Unread.GetRange(0, n).ToArray();
        stream.Unread.RemoveRange(0, n);
        stream.ForwardCount += (uint)n;
        uint delta = stream.ForwardCount - stream.LastForwardCountSent;
        if (delta > 0 && stream.BufferAllocation - delta < VsockLimits.MaxPacketPayload)
        {
            Send(stream, VsockOp.CreditUpdate);
        }
        return bytes;
    }

    /// <summary>Reads until <paramref name="count"/> bytes arrived in total.</summary>
    public byte[] ReadExactly(GuestStream stream, int count, TimeSpan? timeout = null)
    {
        var all = new List<byte>(count);
        PumpUntil(() =>
        {
            all.AddRange(Read(stream, count - all.Count));
            return all.Count == count || stream.State == GuestStreamState.Reset;
        }, $"{count} bytes on guest port {stream.GuestPort}", timeout);
        return [.. all];
    }

    public void Shutdown(GuestStream stream, VsockShutdown flags) => Send(stream, VsockOp.Shutdown, flags: (uint)flags);

    public void Reset(GuestStream stream)
    {
        Send(stream, VsockOp.Rst);
        stream.State = GuestStreamState.Reset;
    }

    /// <summary>Sends a raw packet (hostile tests): any header, any payload.</summary>
    public void SendRaw(VsockPacketHeader header, ReadOnlySpan<byte> payload)
    {
        // Wait for TX completions only: pumping RX here would handle packets out of order when a
        // reply is sent from inside Pump. The device completes TX chains without needing RX buffers.
        Eventually.True(() => (ushort)(Driver.Queues[1].AvailIdx - Driver.Queues[1].UsedIdx) < TxSlots, "a free TX slot");
        int slot = _txSlot++ % TxSlots;
        GuestAddress at = _txArea.Add((ulong)slot * TxSlotBytes);
        Driver.Memory.Write(at, MemoryMarshal.AsBytes(new ReadOnlySpan<VsockPacketHeader>(in header)));
        Driver.Memory.Write(at.Add(VsockPacketHeader.Size), payload);
        FakeQueue tx = Driver.Queues[1];
        if (SplitHeaders)
        {
            ushort head = (ushort)(2 * slot);
            tx.WriteDescriptor(head, at.Value, VsockPacketHeader.Size, DescriptorFlags.Next, (ushort)(head + 1));
            tx.WriteDescriptor((ushort)(head + 1), at.Value + VsockPacketHeader.Size, (uint)payload.Length, DescriptorFlags.None);
            tx.Publish(head);
        }
        else
        {
            tx.WriteDescriptor((ushort)slot, at.Value, (uint)(VsockPacketHeader.Size + payload.Length), DescriptorFlags.None);
            tx.Publish((ushort)slot);
        }
        Driver.Notify(1);
    }

    public void Send(GuestStream stream, VsockOp op, ReadOnlySpan<byte> payload = default, uint flags = 0)
    {
        var header = new VsockPacketHeader
        {
            SourceCid = Cid,
            DestinationCid = VsockDevice.HostCid,
            SourcePort = stream.GuestPort,
            DestinationPort = stream.HostPort,
            Length = (uint)payload.Length,
            Type = VsockPacketHeader.StreamType,
            Op = op,
            Flags = flags,
            BufferAllocation = (uint)stream.BufferAllocation,
            ForwardCount = stream.ForwardCount,
        };
        stream.LastForwardCountSent = stream.ForwardCount;
        SendRaw(header, payload);
    }

    /// <summary>Processes everything the device returned; refills buffers; true when anything happened.</summary>
    public bool Pump()
    {
        if (_pumping)
        {
            return false;
        }
        _pumping = true;
        try
        {
            return PumpOnce();
        }
        finally
        {
            _pumping = false;
        }
    }

    private bool _pumping;

    private bool PumpOnce()
    {
        bool any = false;
        FakeQueue rx = Driver.Queues[0];
        bool reposted = false;
        foreach (var (id, length) in rx.TakeUsed())
        {
            any = true;
            int slot = SplitHeaders ? (int)id / 2 : (int)id;
            Handle(slot, length);
            if (RefillRx)
            {
                PostRx(slot);
                reposted = true;
            }
            else
            {
                _starvedSlots.Enqueue(slot);
            }
        }
        if (RefillRx && _starvedSlots.Count > 0)
        {
            while (_starvedSlots.TryDequeue(out int slot))
            {
                PostRx(slot);
            }
            reposted = true;
        }
        if (reposted)
        {
            Driver.Notify(0);
        }
        foreach (var (id, _) in Driver.Queues[2].TakeUsed())
        {
            any = true;
            Events.Add(Driver.Memory.Read<uint>(_eventArea.Add(4UL * id)));
        }
        any |= Driver.Queues[1].TakeUsed().Count > 0;
        return any;
    }

    private readonly Queue<int> _starvedSlots = new();

    /// <summary>Pumps until <paramref name="condition"/> holds, failing after the deadline. Spins while the
    /// device makes progress and backs off when it is idle.</summary>
    public void PumpUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan limit = timeout ?? Eventually.DefaultTimeout;
        int idle = 0;
        while (true)
        {
            bool progress = Pump();
            if (condition())
            {
                return;
            }
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0.#} s waiting for: {what}");
            }
            idle = progress ? 0 : idle + 1;
            if (idle > 50)
            {
                Thread.Sleep(1); // bounded by the deadline above
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private void PostRx(int slot)
    {
        GuestAddress at = _rxArea.Add((ulong)slot * RxSlotBytes);
        FakeQueue rx = Driver.Queues[0];
        uint payload = (uint)Math.Clamp(RxBufferPayloadBytes, 0, RxPayloadBytes);
        if (SplitHeaders)
        {
            ushort head = (ushort)(2 * slot);
            rx.WriteDescriptor(head, at.Value, VsockPacketHeader.Size, DescriptorFlags.Write | DescriptorFlags.Next, (ushort)(head + 1));
            rx.WriteDescriptor((ushort)(head + 1), at.Value + VsockPacketHeader.Size, payload, DescriptorFlags.Write);
            rx.Publish(head);
        }
        else
        {
            rx.WriteDescriptor((ushort)slot, at.Value, VsockPacketHeader.Size + payload, DescriptorFlags.Write);
            rx.Publish((ushort)slot);
        }
    }

    private void Handle(int slot, uint usedLength)
    {
        GuestAddress at = _rxArea.Add((ulong)slot * RxSlotBytes);
        if (usedLength < VsockPacketHeader.Size)
        {
            DroppedRx++; // returned unused: like Linux's virtio_transport_rx_work, drop it and refill
            return;
        }
        VsockPacketHeader header = Driver.Memory.Read<VsockPacketHeader>(at);
        Received.Add(header);
        if (usedLength != VsockPacketHeader.Size + header.Length)
        {
            throw new InvalidOperationException($"used length {usedLength} does not match packet {header}");
        }
        var key = (header.DestinationPort, header.SourcePort);
        _streams.TryGetValue(key, out GuestStream? stream);
        if (stream is not null)
        {
            stream.PeerBufferAllocation = header.BufferAllocation;
            stream.PeerForwardCount = header.ForwardCount;
        }
        switch (header.Op)
        {
            case VsockOp.Request when stream is null:
                if (!AnswerRequests)
                {
                    return;
                }
                if (!_listening.Contains(header.DestinationPort))
                {
                    SendRaw(ReplyHeader(header, VsockOp.Rst), default);
                    return;
                }
                stream = new GuestStream(header.DestinationPort, header.SourcePort, DefaultBufferAllocation)
                {
                    State = GuestStreamState.Established,
                    PeerBufferAllocation = header.BufferAllocation,
                    PeerForwardCount = header.ForwardCount,
                };
                _streams[key] = stream;
                Send(stream, VsockOp.Response);
                return;
            case VsockOp.Response when stream is { State: GuestStreamState.Connecting }:
                stream.State = GuestStreamState.Established;
                return;
            case VsockOp.Rst when stream is not null:
                stream.State = GuestStreamState.Reset;
                return;
            case VsockOp.Shutdown when stream is not null:
                stream.PeerShutdown |= (VsockShutdown)header.Flags;
                if (stream.PeerShutdown == VsockShutdown.Both && stream.State != GuestStreamState.Reset)
                {
                    Send(stream, VsockOp.Rst); // what Linux does when the peer closes completely
                    stream.State = GuestStreamState.Reset;
                }
                return;
            case VsockOp.ReadWrite when stream is not null:
                stream.Unread.AddRange(Driver.Memory.GetSpan(at.Add(VsockPacketHeader.Size), (int)header.Length).ToArray());
                stream.TotalReceived += header.Length;
                if (stream.Unread.Count > stream.BufferAllocation)
                {
                    stream.CreditViolated = true;
                }
                return;
            case VsockOp.CreditUpdate when stream is not null:
                return;
            case VsockOp.CreditRequest when stream is not null:
                Send(stream, VsockOp.CreditUpdate);
                return;
            default:
                if (header.Op != VsockOp.Rst)
                {
                    SendRaw(ReplyHeader(header, VsockOp.Rst), default);
                }
                return;
        }
    }

    private static VsockPacketHeader ReplyHeader(in VsockPacketHeader to, VsockOp op) => new()
    {
        SourceCid = Cid,
        DestinationCid = VsockDevice.HostCid,
        SourcePort = to.DestinationPort,
        DestinationPort = to.SourcePort,
        Type = VsockPacketHeader.StreamType,
        Op = op,
    };

    public void Dispose() => Driver.Dispose();
}

internal enum GuestStreamState
{
    Connecting,
    Established,
    Reset,
}

/// <summary>One guest-side stream of <see cref="FakeVsockGuest"/>.</summary>
internal sealed class GuestStream(uint guestPort, uint hostPort, int bufferAllocation)
{
    public uint GuestPort { get; } = guestPort;

    public uint HostPort { get; } = hostPort;

    public int BufferAllocation { get; } = bufferAllocation;

    public GuestStreamState State { get; set; }

    public List<byte> Unread { get; } = [];

    public long TotalReceived { get; set; }

    public uint ForwardCount { get; set; }

    public uint LastForwardCountSent { get; set; }

    public uint TxCount { get; set; }

    public uint PeerBufferAllocation { get; set; }

    public uint PeerForwardCount { get; set; }

    public VsockShutdown PeerShutdown { get; set; }

    /// <summary>The host sent more than this stream's buf_alloc allowed.</summary>
    public bool CreditViolated { get; set; }

    public uint PeerCredit => PeerBufferAllocation - (TxCount - PeerForwardCount);
}
