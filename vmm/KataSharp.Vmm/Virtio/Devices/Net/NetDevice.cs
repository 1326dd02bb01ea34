using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// virtio-net (device id 1), one queue pair: queue 0 receives (frames to the guest), queue 1 transmits.
/// Frames go to and come from an <see cref="INetBackend"/> (a tap) with their virtio_net_hdr unchanged,
/// so the checksum and segmentation offloads the guest negotiates are the tap's (TUNSETOFFLOAD at
/// activation). All queue and backend work runs on the event loop thread under the device lock.
/// <para>
/// Receive: the backend's descriptor is watched edge-triggered; a turn reads frames one at a time into
/// one host buffer and places each in the guest's RX chains (several with MRG_RXBUF, num_buffers telling
/// how many). When the guest has no room, that one frame waits and the rest stay in the tap (whose kernel
/// queue drops when full) until the guest posts buffers and kicks queue 0. Nothing else is buffered.
/// </para>
/// <para>
/// Transmit: each chain is one frame (header + Ethernet frame, device-readable only), copied into one host
/// buffer and written to the backend. Malformed chains and frames are returned unused and counted
/// (<see cref="NetMetrics"/>); a corrupt ring parks the device (DEVICE_NEEDS_RESET).
/// </para>
/// </summary>
public sealed class NetDevice : VirtioDevice
{
    private const int RxQueue = 0;
    private const int TxQueue = 1;
    private const int PrintedBackendErrors = 32;

    private readonly EventLoop _loop;
    private readonly IDisposable _backendWatch;

    // One byte more than the largest frame: a tap read that fills it was truncated (oversized frame).
    private readonly byte[] _rxFrame = new byte[NetLimits.MaxBufferedBytes + 1];
    private readonly byte[] _txFrame = new byte[NetLimits.MaxBufferedBytes];
    private readonly RxChain[] _rxChains = new RxChain[QueueLimits.DefaultMaxQueueSize];
    private readonly DescriptorBuffer[] _rxHeaderPieces = new DescriptorBuffer[NetHeader.Size];
    private INetBackend? _backend;
    private int _rxFrameLength;
    private int _txTurnFrames;
    private long _txTurnBytes;

    /// <param name="name">Log name, e.g. "net0".</param>
    /// <param name="options">MAC and MTU; validated here.</param>
    /// <param name="backend">Owned by the device once constructed (disposed with it); still the caller's when this throws.</param>
    public NetDevice(string name, NetOptions options, INetBackend backend, EventLoop loop, Action<string>? logSink = null)
        : base(name, queueCount: 2, QueueLimits.DefaultMaxQueueSize, logSink)
    {
        options.Validate();
        Options = options;
        _loop = loop;
        _backend = backend;
        _backendWatch = loop.Register(backend.ReadinessDescriptor.Value, EpollEvents.In | EpollEvents.EdgeTriggered, _ => ReceiveGuarded());
    }

    public NetOptions Options { get; }

    public NetMetrics Metrics { get; } = new();

    /// <summary>The offloads handed to the backend at the last activation (None before and after reset).</summary>
    public TunOffloads ReceiveOffloads { get; private set; }

    public override VirtioDeviceType DeviceType => VirtioDeviceType.Net;

    public override ulong OfferedFeatures => VirtioFeatures.Common | NetFeatures.Offered | (Options.Mtu is null ? 0 : NetFeatures.Mtu);

    public override int ConfigSize => NetConfig.Size;

    protected override void RenderConfig(Span<byte> config) =>
        NetConfig.Render(config, Options.Mac, NetConfig.StatusLinkUp, Options.Mtu ?? 0);

    protected override void OnActivated()
    {
        TunOffloads offloads = OffloadsFor(AckedFeatures);
        try
        {
            _backend?.SetReceiveOffloads(offloads);
        }
        catch (LinuxException e)
        {
            throw new NetDeviceException($"the tap refused offloads {offloads}: {e.Message}", e);
        }
        ReceiveOffloads = offloads;
        // Activation runs on a vCPU thread; frames that waited in the tap are read on the event loop.
        _loop.Post(ReceiveGuarded);
    }

    protected override void OnReset()
    {
        if (_rxFrameLength != 0)
        {
            Metrics.Drop(NetDropReason.RxDeviceReset);
            _rxFrameLength = 0;
        }
        if (ReceiveOffloads != TunOffloads.None)
        {
            ReceiveOffloads = TunOffloads.None;
            try
            {
                _backend?.SetReceiveOffloads(TunOffloads.None);
            }
            catch (LinuxException e)
            {
                BackendError($"resetting the tap's offloads failed: {e.Message}");
            }
        }
    }

    protected override void ProcessQueue(int index)
    {
        switch (index)
        {
            case RxQueue:
                Metrics.RxNotifications++;
                ProcessRx();
                break;
            case TxQueue:
                Metrics.TxNotifications++;
                _txTurnFrames = 0;
                _txTurnBytes = 0;
                if (ProcessAvailableChains(TxQueue, Transmit, budgetLeft: () => _txTurnFrames < NetLimits.FramesPerTurn && _txTurnBytes < NetLimits.BytesPerTurn))
                {
                    Metrics.TxInterrupts++;
                }
                break;
        }
    }

    /// <summary>What the tap may hand us: what the guest said it can take (TSO only with checksum offload,
    /// as both the spec and the tun driver require).</summary>
    public static TunOffloads OffloadsFor(ulong ackedFeatures)
    {
        if ((ackedFeatures & NetFeatures.GuestCsum) == 0)
        {
            return TunOffloads.None;
        }
        return TunOffloads.Checksum
            | ((ackedFeatures & NetFeatures.GuestTso4) != 0 ? TunOffloads.Tso4 : 0)
            | ((ackedFeatures & NetFeatures.GuestTso6) != 0 ? TunOffloads.Tso6 : 0);
    }

    // ---- transmit ----

    private uint Transmit(DescriptorChain chain)
    {
        _txTurnFrames++;
        _txTurnBytes += (long)chain.ReadableBytes;
        if (chain.WritableBytes != 0 || chain.ReadableBytes < NetHeader.Size + NetLimits.MinFrameBytes)
        {
            DropTx(NetDropReason.TxMalformedChain, chain, chain.WritableBytes != 0
                ? $"has {chain.WritableBytes} device-writable bytes (a TX chain is device-readable only)"
                : $"has {chain.ReadableBytes} bytes, less than a {NetHeader.Size}-byte header and an Ethernet header");
            return 0;
        }
        if (chain.ReadableBytes > NetLimits.MaxBufferedBytes)
        {
            DropTx(NetDropReason.TxOversized, chain, $"carries {chain.ReadableBytes - NetHeader.Size} frame bytes, over {NetLimits.MaxFrameBytes}");
            return 0;
        }
        Span<byte> frame = _txFrame.AsSpan(0, (int)chain.ReadableBytes);
        chain.Reader.Read(frame);
        NetHeader header = MemoryMarshal.Read<NetHeader>(frame);
        if (CheckTxHeader(header) is { } problem)
        {
            DropTx(NetDropReason.TxBadHeader, chain, problem);
            return 0;
        }
        // num_buffers means nothing on transmit; the tap reads a 12-byte header and ignores it too.
        BinaryPrimitives.WriteUInt16LittleEndian(frame[NetHeader.NumBuffersOffset..], 0);
        if (_backend is not { } backend)
        {
            Metrics.Drop(NetDropReason.TxLinkDown);
            return 0;
        }
        try
        {
            if (!backend.TrySend(frame))
            {
                Metrics.Drop(NetDropReason.TxBackendFull);
                return 0;
            }
        }
        catch (LinuxException e) when (e.Errno is Errno.EIO or Errno.EBADFD)
        {
            // EIO: the tap is down; EBADFD: its interface is gone. Both are the host's network state.
            Metrics.Drop(NetDropReason.TxLinkDown);
            return 0;
        }
        catch (LinuxException e) when (e.Errno == Errno.EINVAL)
        {
            // The tap's own header checks (virtio_net_hdr_to_skb) refused what the guest wrote.
            DropTx(NetDropReason.TxBadHeader, chain, $"refused by the tap: {e.Message}");
            return 0;
        }
        catch (LinuxException e)
        {
            BackendError($"writing a frame to the tap failed: {e.Message}");
            return 0;
        }
        Metrics.TxFrames++;
        Metrics.TxBytes += frame.Length - NetHeader.Size;
        return 0;
    }

    private void DropTx(NetDropReason reason, DescriptorChain chain, string problem)
    {
        Metrics.Drop(reason);
        GuestErrors.Report($"TX chain at head {chain.Head} dropped: it {problem}");
    }

    /// <summary>The offloads a transmitted frame asks for must be ones the guest negotiated (the tap would
    /// honour them regardless); unknown flags and GSO types are refused.</summary>
    private string? CheckTxHeader(in NetHeader header)
    {
        if ((header.Flags & ~NetHeader.FlagNeedsCsum) != 0)
        {
            return $"has header flags 0x{header.Flags:x2}; only NEEDS_CSUM is valid on transmit";
        }
        if ((header.Flags & NetHeader.FlagNeedsCsum) != 0 && !HasFeature(NetFeatures.Csum))
        {
            return "asks for checksum offload (NEEDS_CSUM) without VIRTIO_NET_F_CSUM";
        }
        bool allowed = header.GsoType switch
        {
            NetHeader.GsoNone => true,
            NetHeader.GsoTcpV4 => HasFeature(NetFeatures.HostTso4),
            NetHeader.GsoTcpV6 => HasFeature(NetFeatures.HostTso6),
            _ => false,
        };
        return allowed ? null : $"has GSO type 0x{header.GsoType:x2}, which was not negotiated";
    }

    // ---- receive ----

    private void ReceiveGuarded()
    {
        lock (Sync)
        {
            try
            {
                Metrics.RxWakeups++;
                ProcessRx();
            }
            catch (Exception e)
            {
                // A device bug must not take the event loop (and the VM) down with it: park the device.
                Fail($"internal error while receiving: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>Moves frames from the backend into the guest's RX buffers while both exist, within one turn's budget.</summary>
    private void ProcessRx()
    {
        if (!IsActivated || IsFailed || _backend is null)
        {
            return;
        }
        VirtQueue rx = Queues[RxQueue];
        bool returned = false;
        int frames = 0;
        long bytes = 0;
        while (true)
        {
            if (frames >= NetLimits.FramesPerTurn || bytes >= NetLimits.BytesPerTurn)
            {
                Transport.RequeueNotification(RxQueue);
                break;
            }
            if (_rxFrameLength == 0)
            {
                RxRead read = ReadFrame();
                if (read == RxRead.Nothing)
                {
                    break;
                }
                if (read == RxRead.Dropped)
                {
                    frames++;
                    continue;
                }
            }
            int length = _rxFrameLength;
            RxDelivery delivery = Deliver(rx, ref returned);
            if (delivery is RxDelivery.NoBuffers or RxDelivery.Failed)
            {
                break; // the frame waits for the guest's next RX kick, or the device is parked
            }
            _rxFrameLength = 0;
            frames++;
            bytes += length;
        }
        if (SignalIfWanted(rx, returned))
        {
            Metrics.RxInterrupts++;
        }
    }

    private RxRead ReadFrame()
    {
        int n;
        try
        {
            n = _backend!.TryReceive(_rxFrame);
        }
        catch (LinuxException e)
        {
            BackendError($"reading from the tap failed: {e.Message}");
            return RxRead.Nothing;
        }
        if (n < 0)
        {
            return RxRead.Nothing;
        }
        NetDropReason? drop = n > NetLimits.MaxBufferedBytes ? NetDropReason.RxOversized
            : n < NetHeader.Size + NetLimits.MinFrameBytes ? NetDropReason.RxRunt
            : !AcceptReceivedHeader() ? NetDropReason.RxOffloadNotAccepted
            : null;
        if (drop is { } reason)
        {
            Metrics.Drop(reason);
            return RxRead.Dropped;
        }
        _rxFrameLength = n;
        return RxRead.Frame;
    }

    /// <summary>A frame from the tap may use only offloads the guest accepted (frames queued before a reset were
    /// made under the old ones). Without GUEST_CSUM the flags must be zero (spec §5.1.6.4.1).</summary>
    private bool AcceptReceivedHeader()
    {
        ref NetHeader header = ref MemoryMarshal.AsRef<NetHeader>(_rxFrame.AsSpan(0, NetHeader.Size));
        bool gsoAccepted = header.GsoType switch
        {
            NetHeader.GsoNone => true,
            NetHeader.GsoTcpV4 => HasFeature(NetFeatures.GuestTso4),
            NetHeader.GsoTcpV6 => HasFeature(NetFeatures.GuestTso6),
            _ => false,
        };
        if (!HasFeature(NetFeatures.GuestCsum))
        {
            if ((header.Flags & NetHeader.FlagNeedsCsum) != 0)
            {
                return false;
            }
            header.Flags = 0;
        }
        return gsoAccepted;
    }

    /// <summary>
    /// Places the pending frame in one RX chain (or several with MRG_RXBUF): the data first, then the header
    /// with num_buffers into the first chain, then every chain to the used ring. When the chains run out
    /// first, the pops are undone and the frame waits; when even a whole ring of chains cannot hold it, it is
    /// dropped (the pops undone too).
    /// </summary>
    private RxDelivery Deliver(VirtQueue rx, ref bool returned)
    {
        int length = _rxFrameLength;
        bool mergeable = HasFeature(NetFeatures.MrgRxbuf);
        int chains = 0;
        int placed = 0;
        int headerPieces = 0;
        while (placed < length)
        {
            if (chains == rx.Size)
            {
                // Checked before popping, not when the ring runs dry: a guest that keeps publishing while we place
                // the frame (another vCPU, or our own writes into a buffer over avail.idx) never runs it dry, and
                // _rxChains holds one ring. A frame that needs more than a ring of chains never fits.
                UndoPops(rx, chains);
                Metrics.Drop(NetDropReason.RxNoRoom);
                return RxDelivery.Dropped;
            }
            QueuePopResult result = rx.TryPop(out DescriptorChain chain);
            if (result == QueuePopResult.Empty)
            {
                if (rx.EnableNotificationAndCheck())
                {
                    continue;
                }
                // avail_event now asks for a kick at the next buffer; undo only after setting it.
                UndoPops(rx, chains);
                Metrics.RxWaitsForBuffers++;
                return RxDelivery.NoBuffers;
            }
            if (result == QueuePopResult.Broken)
            {
                Fail($"RX queue: {rx.BrokenReason}");
                return RxDelivery.Failed;
            }
            if (RxChainProblem(result, chain, first: chains == 0) is { } problem)
            {
                GuestErrors.Report($"RX chain at head {chain.Head} returned unused: {problem}");
                // The chains already filled for this frame go back unused too, in order: the frame is lost.
                for (int i = 0; i < chains; i++)
                {
                    rx.AddUsed(_rxChains[i].Head, 0);
                }
                rx.AddUsed(chain.Head, 0);
                returned = true;
                Metrics.Drop(NetDropReason.RxBadChain);
                return RxDelivery.Dropped;
            }
            if (!mergeable && chain.WritableBytes < (ulong)length)
            {
                rx.UndoPop(); // it may fit the next, smaller frame
                Metrics.Drop(NetDropReason.RxNoRoom);
                return RxDelivery.Dropped;
            }
            ChainWriter writer = chain.Writer;
            if (chains == 0)
            {
                headerPieces = RecordHeaderPieces(chain);
                writer.Advance(NetHeader.Size);
                placed = NetHeader.Size;
            }
            int room = (int)Math.Min(writer.Remaining, (ulong)(length - placed));
            writer.Write(_rxFrame.AsSpan(placed, room));
            placed += room;
            _rxChains[chains++] = new RxChain(chain.Head, (uint)writer.BytesWritten);
        }
        Span<byte> header = _rxFrame.AsSpan(0, NetHeader.Size);
        BinaryPrimitives.WriteUInt16LittleEndian(header[NetHeader.NumBuffersOffset..], (ushort)chains);
        for (int i = 0; i < headerPieces; i++)
        {
            DescriptorBuffer piece = _rxHeaderPieces[i];
            Memory.Write(piece.Address, header[..(int)piece.Length]);
            header = header[(int)piece.Length..];
        }
        for (int i = 0; i < chains; i++)
        {
            rx.AddUsed(_rxChains[i].Head, _rxChains[i].Length);
        }
        returned = true;
        Metrics.RxFrames++;
        Metrics.RxBytes += length - NetHeader.Size;
        return RxDelivery.Delivered;
    }

    private static void UndoPops(VirtQueue rx, int chains)
    {
        for (int i = 0; i < chains; i++)
        {
            rx.UndoPop();
        }
    }

    /// <summary>An RX chain must be device-writable only, and the first of a frame must hold the whole header.</summary>
    private static string? RxChainProblem(QueuePopResult result, DescriptorChain chain, bool first)
    {
        if (result == QueuePopResult.Malformed)
        {
            return chain.Problem;
        }
        if (chain.ReadableBytes != 0)
        {
            return $"it has {chain.ReadableBytes} device-readable bytes (an RX chain is device-writable only)";
        }
        ulong needed = first ? NetHeader.Size : 1UL;
        return chain.WritableBytes < needed ? $"it has {chain.WritableBytes} writable bytes, fewer than {needed}" : null;
    }

    /// <summary>Where the first <see cref="NetHeader.Size"/> writable bytes of <paramref name="chain"/> are (one
    /// piece per buffer they span): the header is written there once num_buffers is known, after the chain
    /// object has moved on to later chains.</summary>
    private int RecordHeaderPieces(DescriptorChain chain)
    {
        int needed = NetHeader.Size;
        int count = 0;
        foreach (DescriptorBuffer buffer in chain.Buffers[chain.FirstWritable..])
        {
            if (needed == 0)
            {
                break;
            }
            if (buffer.Length == 0)
            {
                continue;
            }
            uint take = Math.Min(buffer.Length, (uint)needed);
            _rxHeaderPieces[count++] = buffer with { Length = take };
            needed -= (int)take;
        }
        return count;
    }

    private void BackendError(string message)
    {
        Metrics.BackendErrors++;
        if (Metrics.BackendErrors <= PrintedBackendErrors)
        {
            ReportHostProblem($"{message}{(Metrics.BackendErrors == PrintedBackendErrors ? " (further tap errors are only counted)" : "")}");
        }
    }

    public override void Dispose()
    {
        // Unregister first, without the device lock: the loop may be waiting for that lock.
        _backendWatch.Dispose();
        if (TryEnterForDispose())
        {
            try
            {
                if (_backend is not null)
                {
                    // Once per device: what a pod's traffic cost in notifications and interrupts (the bench reads it).
                    Log($"counters: {Metrics.Summary()}");
                }
                _backend?.Dispose();
                _backend = null;
            }
            finally
            {
                Monitor.Exit(Sync);
            }
        }
        base.Dispose();
    }

    private readonly record struct RxChain(ushort Head, uint Length);

    private enum RxRead
    {
        Nothing,
        Frame,
        Dropped,
    }

    private enum RxDelivery
    {
        Delivered,
        Dropped,
        NoBuffers,
        Failed,
    }
}
