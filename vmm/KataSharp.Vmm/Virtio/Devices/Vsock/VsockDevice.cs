using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// virtio-vsock (device id 19), stream sockets only: queue 0 carries packets to the guest (RX), queue 1
/// packets from the guest (TX), queue 2 events (TRANSPORT_RESET). Packet handling and the host side live
/// in <see cref="VsockMuxer"/> and <see cref="VsockConnection"/>; this class moves packets between them
/// and the queues. All queue work runs on the event loop thread.
/// </summary>
public sealed class VsockDevice : VirtioDevice
{
    /// <summary>VMADDR_CID_HOST: what the guest calls us.</summary>
    public const ulong HostCid = 2;

    private const int RxQueue = 0;
    private const int TxQueue = 1;
    private const int EventQueue = 2;
    private const uint TransportResetEvent = 0;

    /// <summary>An RX chain must hold a header and at least one byte of data: a header-only buffer could never
    /// carry the data that may be due, so it is returned unused rather than left to block the queue.</summary>
    private const ulong MinRxChainBytes = VsockPacketHeader.Size + 1;

    private readonly EventLoop _loop;
    private readonly VsockMuxer _muxer;
    private bool _transportResetPending;

    public VsockDevice(VsockOptions options, EventLoop loop, string name = "vsock", Action<string>? logSink = null)
        : base(name, queueCount: 3, QueueLimits.DefaultMaxQueueSize, logSink)
    {
        Options = options;
        _loop = loop;
        _muxer = new VsockMuxer(Sync, loop, options, Metrics, GuestErrors, ProcessRx);
    }

    public VsockOptions Options { get; }

    public uint GuestCid => Options.GuestCid;

    public VsockMetrics Metrics { get; } = new();

    /// <summary>The host side, for bound checks by tests and the fuzz benchmark (read with the device lock held).</summary>
    internal VsockMuxer Muxer => _muxer;

    public override VirtioDeviceType DeviceType => VirtioDeviceType.Vsock;

    /// <summary>Stream only: VIRTIO_VSOCK_F_SEQPACKET is not offered.</summary>
    public override ulong OfferedFeatures => VirtioFeatures.Common;

    public override int ConfigSize => VsockConfig.Size;

    /// <summary>Bytes of guest data the device holds for host sockets right now (bounded by credit).</summary>
    public long BufferedBytes
    {
        get
        {
            lock (Sync)
            {
                return _muxer.BufferedBytes;
            }
        }
    }

    public int ConnectionCount
    {
        get
        {
            lock (Sync)
            {
                return _muxer.ConnectionCount;
            }
        }
    }

    /// <summary>Opens a stream to guest port <paramref name="port"/> in-process (no unix socket, no CONNECT line).</summary>
    public Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken = default) => _muxer.ConnectAsync(port, cancellationToken);

    /// <summary>Drops every connection and tells the guest with a TRANSPORT_RESET event (its sockets reset too).</summary>
    public void ResetTransport()
    {
        lock (Sync)
        {
            _muxer.DropAllConnections("transport reset by the host");
            _transportResetPending = true;
        }
        _loop.Post(() =>
        {
            lock (Sync)
            {
                DeliverEvents();
            }
        });
    }

    protected override void RenderConfig(Span<byte> config) => VsockConfig.Render(config, GuestCid);

    protected override void OnActivated() =>
        // Activation runs on a vCPU thread; queue work belongs to the event loop.
        _loop.Post(() =>
        {
            lock (Sync)
            {
                ProcessRx();
                DeliverEvents();
            }
        });

    protected override void OnReset()
    {
        _muxer.DropAllConnections("the guest reset the vsock device");
        _transportResetPending = false;
    }

    protected override void ProcessQueue(int index)
    {
        switch (index)
        {
            case TxQueue:
                ProcessAvailableChains(TxQueue, HandleTx);
                ProcessRx();
                break;
            case RxQueue:
                ProcessRx();
                break;
            case EventQueue:
                DeliverEvents();
                break;
        }
    }

    private uint HandleTx(DescriptorChain chain)
    {
        if (!chain.Reader.TryRead(out VsockPacketHeader header))
        {
            Metrics.ProtocolViolations++;
            GuestErrors.Report($"TX chain at head {chain.Head} is shorter than a packet header ({chain.ReadableBytes} bytes)");
            return 0;
        }
        _muxer.OnGuestPacket(header, chain.Reader, GuestCid);
        return 0;
    }

    /// <summary>Moves pending packets into the guest's RX buffers while both exist, yielding (and re-kicking the RX
    /// queue) after <see cref="QueueLimits.ChainsPerTurn"/> chains or <see cref="QueueLimits.BytesPerTurn"/> bytes.</summary>
    private void ProcessRx()
    {
        if (!IsActivated || IsFailed)
        {
            return;
        }
        VirtQueue rx = Queues[RxQueue];
        bool returned = false;
        ulong bytes = 0;
        for (int turn = 0; _muxer.HasPendingRx; turn++)
        {
            if (turn == QueueLimits.ChainsPerTurn || bytes >= QueueLimits.BytesPerTurn)
            {
                Transport.RequeueNotification(RxQueue);
                break;
            }
            QueuePopResult result = rx.TryPop(out DescriptorChain chain);
            if (result == QueuePopResult.Empty)
            {
                if (rx.EnableNotificationAndCheck())
                {
                    continue;
                }
                break; // the guest notifies queue 0 when it adds buffers
            }
            if (result == QueuePopResult.Broken)
            {
                Fail($"RX queue: {rx.BrokenReason}");
                return;
            }
            if (result == QueuePopResult.Malformed || chain.WritableBytes < MinRxChainBytes)
            {
                string problem = chain.Problem ?? (chain.WritableBytes < VsockPacketHeader.Size
                    ? "no room for a packet header"
                    : "room for a packet header only (data needs at least one more byte)");
                GuestErrors.Report($"RX chain at head {chain.Head} returned unused: {problem}");
                rx.AddUsed(chain.Head, 0);
                returned = true;
                continue;
            }
            if (!_muxer.TryFillRx(chain.Writer))
            {
                rx.UndoPop();
                break;
            }
            rx.AddUsed(chain.Head, (uint)chain.Writer.BytesWritten);
            bytes += chain.Writer.BytesWritten;
            returned = true;
        }
        SignalIfWanted(rx, returned);
    }

    /// <summary>Hands a pending TRANSPORT_RESET to the guest once it has posted an event buffer (the common queue
    /// loop: too-small or malformed buffers are returned unused, and a turn is bounded like any other queue's).</summary>
    private void DeliverEvents()
    {
        if (!IsActivated || IsFailed)
        {
            return;
        }
        ProcessAvailableChains(EventQueue, DeliverEvent, wanted: () => _transportResetPending);
    }

    private uint DeliverEvent(DescriptorChain chain)
    {
        if (chain.WritableBytes < sizeof(uint))
        {
            GuestErrors.Report($"event chain at head {chain.Head} dropped: smaller than an event");
            return 0;
        }
        Span<byte> transportReset = stackalloc byte[sizeof(uint)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(transportReset, TransportResetEvent);
        chain.Writer.Write(transportReset);
        _transportResetPending = false;
        return sizeof(uint);
    }

    public override void Dispose()
    {
        if (!_muxer.Dispose(DisposeTimeout))
        {
            ReportHostDisposeStuck();
        }
        base.Dispose();
    }
}
