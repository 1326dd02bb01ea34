using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Sockets;
using KataSharp.Lifecycle;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// One stream between a host socket and a guest port: the protocol state machine and both data
/// directions with credit-based flow control.
/// Guest → host: data is written straight to the host socket; what the socket cannot take waits in a
/// <see cref="TxBuffer"/> bounded by the buf_alloc we advertise, and fwd_cnt only advances when bytes
/// reach the socket — a host that stops reading stops the guest. Host → guest: the host socket is read
/// only into a guest RX buffer and only up to the guest's credit — a guest that stops reading stops us
/// reading, so nothing is buffered on that side at all.
/// The muxer owns the socket registration: after every call it re-reads <see cref="DesiredEvents"/>,
/// <see cref="Pending"/> and <see cref="State"/>.
/// </summary>
public sealed class VsockConnection
{
    private readonly StateMachine<VsockConnectionState> _state;
    private readonly uint _guestCid;
    private uint _fwdCount;
    private uint _lastFwdCountSent;
    private uint _guestBytesTotal;
    private uint _peerBufferAllocation;
    private uint _peerForwardCount;
    private uint _rxCount;
    private bool _creditRequested;
    private long _creditStalledSince;
    private bool _hostEof;

    public VsockConnection(StreamSocket host, uint localPort, uint peerPort, uint guestCid, VsockConnectionState initial)
    {
        Host = host;
        LocalPort = localPort;
        PeerPort = peerPort;
        _guestCid = guestCid;
        _state = new StateMachine<VsockConnectionState>($"vsock connection {localPort}<->{peerPort}", initial, VsockConnectionTransitions.Allowed);
        Tx = new TxBuffer(VsockLimits.ConnectionBufferBytes);
        Pending = initial == VsockConnectionState.LocalInit ? VsockPendingRx.Request : VsockPendingRx.Response;
    }

    /// <summary>The host-side port (ours): the listener port for guest-initiated streams, an allocated one otherwise.</summary>
    public uint LocalPort { get; }

    /// <summary>The guest-side port.</summary>
    public uint PeerPort { get; }

    public StreamSocket Host { get; }

    public VsockConnectionState State => _state.Current;

    public VsockPendingRx Pending { get; private set; }

    public TxBuffer Tx { get; }

    /// <summary>What the guest told us it will no longer do.</summary>
    public VsockShutdown PeerShutdown { get; private set; }

    /// <summary>What we told the guest we will no longer do.</summary>
    public VsockShutdown LocalShutdown { get; private set; }

    /// <summary>The host peer closed both directions (EPOLLHUP): the socket is no longer watched.</summary>
    public bool HostHungUp { get; private set; }

    /// <summary>Milliseconds (Environment.TickCount64) after which the muxer gives up on this connection; 0 = none.</summary>
    public long Deadline { get; private set; }

    /// <summary>The connection's place in the muxer's RX round-robin while it waits there (null otherwise): lets the
    /// muxer take a closed connection out at once instead of leaving it for the next RX buffer.</summary>
    internal LinkedListNode<VsockConnection>? RxQueueNode { get; set; }

    /// <summary>Set when the connection asked to be reset (sent an RST) and must be dropped.</summary>
    public bool WantsReset { get; private set; }

    /// <summary>How long the guest may take to answer our REQUEST (from its delivery).</summary>
    public TimeSpan ConnectTimeout { get; init; } = VsockLimits.ConnectTimeout;

    /// <summary>How long a full close may wait for the guest's RST.</summary>
    public TimeSpan CloseTimeout { get; init; } = VsockLimits.CloseTimeout;

    /// <summary>How long host data may wait for guest credit before we ask for it (CREDIT_REQUEST).</summary>
    public TimeSpan CreditRequestDelay { get; init; } = VsockLimits.CreditRequestDelay;

    /// <summary>True while the muxer's timer must tick for this connection: a deadline, or a credit stall
    /// that has not been answered by a request yet.</summary>
    public bool NeedsTimer => Deadline != 0 || (_creditStalledSince != 0 && !_creditRequested);

    /// <summary>Called once when a host-initiated stream is accepted by the guest.</summary>
    public Action<VsockConnection>? Established { get; set; }

    /// <summary>Called once when a host-initiated stream ends before it was established (refused, timeout).</summary>
    public Action<string>? Refused { get; set; }

    /// <summary>Epoll events the host socket should be watched for now (None once hung up).</summary>
    public EpollEvents DesiredEvents
    {
        get
        {
            if (HostHungUp || State == VsockConnectionState.Closed)
            {
                return EpollEvents.None;
            }
            EpollEvents events = EpollEvents.None;
            if (State == VsockConnectionState.Established && (LocalShutdown & VsockShutdown.Send) == 0
                && (PeerShutdown & VsockShutdown.Receive) == 0 && (Pending & VsockPendingRx.Data) == 0 && PeerCredit > 0)
            {
                events |= EpollEvents.In;
            }
            if (!Tx.IsEmpty)
            {
                events |= EpollEvents.Out;
            }
            return events;
        }
    }

    /// <summary>Bytes the guest can still take (its buf_alloc minus what we sent and it has not consumed).</summary>
    public uint PeerCredit => _peerBufferAllocation - (_rxCount - _peerForwardCount);

    private bool IsLive => State is VsockConnectionState.Established or VsockConnectionState.Closing;

    /// <summary>Starts the clock on the guest's answer (RESPONSE to our REQUEST, RST to our full SHUTDOWN).</summary>
    private void StartDeadline(TimeSpan timeout) => Deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;

    // ---- guest → host ----

    /// <summary>Records the guest's buffer space as every packet header announces it.</summary>
    public void ApplyPeerCredit(in VsockPacketHeader header)
    {
        _peerBufferAllocation = header.BufferAllocation;
        _peerForwardCount = header.ForwardCount;
    }

    /// <summary>A packet from the guest for this connection (addresses already matched by the muxer).</summary>
    public void OnGuestPacket(in VsockPacketHeader header, ChainReader payload, VsockMetrics metrics, GuestErrorLog errors)
    {
        ApplyPeerCredit(header);
        if (PeerCredit > 0)
        {
            _creditRequested = false;
            _creditStalledSince = 0;
            if (HostHungUp && !_hostEof && State == VsockConnectionState.Established && (PeerShutdown & VsockShutdown.Receive) == 0)
            {
                Pending |= VsockPendingRx.Data; // no epoll any more: keep draining what the host left
            }
        }
        switch (header.Op)
        {
            case VsockOp.Response when State == VsockConnectionState.LocalInit && (Pending & VsockPendingRx.Request) == 0:
                _state.Move(VsockConnectionState.Established);
                Deadline = 0;
                Established?.Invoke(this);
                Established = null;
                Refused = null;
                return;
            case VsockOp.ReadWrite when IsLive:
                AcceptGuestData(header.Length, payload, metrics, errors);
                return;
            case VsockOp.CreditUpdate:
                return;
            case VsockOp.CreditRequest:
                Pending |= VsockPendingRx.CreditUpdate;
                return;
            case VsockOp.Shutdown when IsLive:
                PeerShutdown |= (VsockShutdown)header.Flags & VsockShutdown.Both;
                AfterProgress();
                return;
            case VsockOp.Rst:
                Close($"the guest reset the connection to port {PeerPort}");
                return;
            default:
                metrics.ProtocolViolations++;
                errors.Report($"unexpected {header.Op} on connection {LocalPort}<->{PeerPort} in state {State}; resetting it");
                Reset($"protocol violation ({header.Op} in {State})");
                return;
        }
    }

    private void AcceptGuestData(uint length, ChainReader payload, VsockMetrics metrics, GuestErrorLog errors)
    {
        if ((PeerShutdown & VsockShutdown.Send) != 0)
        {
            metrics.ProtocolViolations++;
            errors.Report($"data after SHUTDOWN(send) on connection {LocalPort}<->{PeerPort}; resetting it");
            Reset("data after shutdown");
            return;
        }
        if (length > Tx.Free)
        {
            metrics.ProtocolViolations++;
            errors.Report($"guest sent {length} bytes on {LocalPort}<->{PeerPort} with only {Tx.Free} bytes of credit; resetting it");
            Reset("credit overrun");
            return;
        }
        _guestBytesTotal += length;
        metrics.BytesFromGuest += length;
        if (HostHungUp || (LocalShutdown & VsockShutdown.Receive) != 0)
        {
            // Nobody will read it: count it as forwarded so the guest is not stalled, and drop it.
            payload.Advance(length);
            _fwdCount += length;
            return;
        }
        long left = length;
        while (left > 0)
        {
            ReadOnlySpan<byte> span = payload.CurrentSpan((int)Math.Min(left, int.MaxValue));
            if (span.IsEmpty)
            {
                break;
            }
            int sent = Tx.IsEmpty ? SendToHost(span) : 0;
            if (sent < 0)
            {
                return; // host gone: the connection is being reset
            }
            if (sent < span.Length)
            {
                Tx.TryEnqueue(span[sent..]); // fits: checked against Tx.Free above
            }
            _fwdCount += (uint)sent;
            payload.Advance(span.Length);
            left -= span.Length;
        }
        MaybeOfferCredit();
    }

    /// <summary>Host socket ready for writing: drains the TX buffer as far as it goes.</summary>
    public void FlushToHost()
    {
        while (!Tx.IsEmpty)
        {
            ReadOnlySpan<byte> chunk = Tx.Peek();
            int sent = SendToHost(chunk);
            if (sent <= 0)
            {
                break;
            }
            Tx.Consume(sent);
            _fwdCount += (uint)sent;
        }
        MaybeOfferCredit();
        AfterProgress();
    }

    /// <summary>Sends to the host socket; -1 after resetting the connection when the host is gone.</summary>
    private int SendToHost(ReadOnlySpan<byte> data)
    {
        try
        {
            int sent = Host.Send(data);
            return Math.Max(sent, 0);
        }
        catch (LinuxException e) when (e.Errno is Errno.EPIPE or Errno.ECONNRESET or Errno.ENOTCONN)
        {
            Reset($"host socket closed ({e.Errno})");
            return -1;
        }
    }

    /// <summary>Tell the guest about freed buffer space once its view of our credit is below half.</summary>
    private void MaybeOfferCredit()
    {
        uint guestViewFree = VsockLimits.ConnectionBufferBytes - (_guestBytesTotal - _lastFwdCountSent);
        if (_fwdCount != _lastFwdCountSent && guestViewFree < VsockLimits.ConnectionBufferBytes / 2)
        {
            Pending |= VsockPendingRx.CreditUpdate;
        }
    }

    /// <summary>Applies half-closes once buffered data is out: a guest that will not send more gets the host
    /// socket's write side shut; a guest that closed both ways gets its RST and the connection ends.</summary>
    private void AfterProgress()
    {
        if (!Tx.IsEmpty || State == VsockConnectionState.Closed)
        {
            return;
        }
        if ((PeerShutdown & VsockShutdown.Send) != 0 && !HostHungUp)
        {
            TryShutdownHost(SocketShutdown.Send);
        }
        if (PeerShutdown == VsockShutdown.Both)
        {
            Reset("the guest closed the connection");
        }
    }

    private void TryShutdownHost(SocketShutdown how)
    {
        try
        {
            Host.Shutdown(how);
        }
        catch (LinuxException)
        {
            // Already gone: nothing left to tell it.
        }
    }

    // ---- host events ----

    /// <summary>Readiness reported by epoll for the host socket.</summary>
    public void OnHostEvents(EpollEvents events)
    {
        if ((events & EpollEvents.Err) != 0)
        {
            Reset("host socket error");
            return;
        }
        if ((events & EpollEvents.Out) != 0)
        {
            FlushToHost();
        }
        if ((events & EpollEvents.Hup) != 0)
        {
            OnHostHangUp();
        }
        else if ((events & EpollEvents.In) != 0 && State == VsockConnectionState.Established)
        {
            Pending |= VsockPendingRx.Data;
        }
    }

    private void OnHostHangUp()
    {
        HostHungUp = true;
        Tx.Consume(Tx.Count);
        switch (State)
        {
            case VsockConnectionState.LocalInit:
                Reset("the host client went away before the guest answered");
                return;
            case VsockConnectionState.PeerInit:
            case VsockConnectionState.Closing:
                Reset("host socket hung up");
                return;
            default:
                // Deliver whatever the host wrote before closing; reading to EOF then sends SHUTDOWN(both).
                if ((PeerShutdown & VsockShutdown.Receive) == 0 && (LocalShutdown & VsockShutdown.Send) == 0)
                {
                    Pending |= VsockPendingRx.Data;
                }
                else
                {
                    QueueShutdown(VsockShutdown.Both);
                }
                return;
        }
    }

    // ---- host → guest ----

    /// <summary>
    /// Writes the next packet this connection owes the guest into <paramref name="writer"/> (which has
    /// room for at least a header). False when nothing was produced (e.g. the host socket had no data, or
    /// data is due but the buffer has no room for any). Each kind of pending packet is tried at most once
    /// per call, so a buffer that cannot take what is due never makes this loop.
    /// </summary>
    public bool TryWriteNext(ChainWriter writer, VsockMetrics metrics)
    {
        VsockPendingRx tried = VsockPendingRx.None;
        while (true)
        {
            VsockPendingRx candidates = Pending & ~tried;
            if (candidates == VsockPendingRx.None)
            {
                return false;
            }
            VsockPendingRx item = (VsockPendingRx)((int)candidates & -(int)candidates); // lowest set bit = highest priority
            tried |= item;
            Pending &= ~item;
            switch (item)
            {
                case VsockPendingRx.Request:
                    WriteHeader(writer, VsockOp.Request, 0, 0, metrics);
                    StartDeadline(ConnectTimeout);
                    return true;
                case VsockPendingRx.Response:
                    WriteHeader(writer, VsockOp.Response, 0, 0, metrics);
                    _state.Move(VsockConnectionState.Established);
                    return true;
                case VsockPendingRx.CreditUpdate:
                    WriteHeader(writer, VsockOp.CreditUpdate, 0, 0, metrics);
                    return true;
                case VsockPendingRx.Data:
                    if (TryWriteData(writer, metrics))
                    {
                        return true;
                    }
                    break;
                case VsockPendingRx.Shutdown:
                    WriteHeader(writer, VsockOp.Shutdown, 0, (uint)LocalShutdown, metrics);
                    if (LocalShutdown == VsockShutdown.Both && State == VsockConnectionState.Established)
                    {
                        _state.Move(VsockConnectionState.Closing);
                        StartDeadline(CloseTimeout);
                    }
                    return true;
                case VsockPendingRx.CreditRequest:
                    WriteHeader(writer, VsockOp.CreditRequest, 0, 0, metrics);
                    return true;
            }
        }
    }

    private bool TryWriteData(ChainWriter writer, VsockMetrics metrics)
    {
        if (State != VsockConnectionState.Established || (PeerShutdown & VsockShutdown.Receive) != 0)
        {
            return false;
        }
        uint credit = PeerCredit;
        if (credit == 0)
        {
            // Not a CREDIT_REQUEST yet: Linux sends its own update once it has read most of its buffer, and
            // asking at once cost a request and its answer (a TX kick and two interrupts) each time the
            // window ran dry — twice the guest's notifications of vhost-vsock, which never asks. The
            // timer asks once (OnTimer) if the guest stays silent.
            if (_creditStalledSince == 0)
            {
                _creditStalledSince = Math.Max(Environment.TickCount64, 1);
            }
            return false;
        }
        long room = (long)writer.Remaining - VsockPacketHeader.Size;
        if (room <= 0)
        {
            // A buffer with room for a header only: the data stays due for a bigger one (the device
            // returns such buffers unused; reading nothing here and retrying was the old spin).
            Pending |= VsockPendingRx.Data;
            return false;
        }
        int max = (int)Math.Min(Math.Min(credit, VsockLimits.MaxPacketPayload), room);
        writer.Advance(VsockPacketHeader.Size);
        int total = 0;
        bool socketEmpty = false;
        while (total < max)
        {
            Span<byte> target = writer.CurrentSpan(max - total);
            int n = ReceiveFromHost(target);
            if (n < 0)
            {
                socketEmpty = true;
                break;
            }
            if (n == 0)
            {
                _hostEof = true;
                break;
            }
            writer.Advance(n);
            total += n;
            if (n < target.Length)
            {
                // A short read means the socket is drained for now; epoll says when there is more.
                // Once the host hung up nobody will tell us, so keep reading until end of stream.
                socketEmpty = !HostHungUp;
                break;
            }
        }
        if (!socketEmpty && !_hostEof)
        {
            Pending |= VsockPendingRx.Data;
        }
        if (_hostEof)
        {
            QueueShutdown(HostHungUp ? VsockShutdown.Both : VsockShutdown.Send);
        }
        if (total == 0)
        {
            writer.Rewind();
            return false;
        }
        _rxCount += (uint)total;
        metrics.BytesToGuest += total;
        WriteHeaderAt(writer, VsockOp.ReadWrite, (uint)total, 0, metrics);
        return true;
    }

    /// <summary>recv into guest memory: bytes read, 0 at end of stream, -1 when nothing is ready or the socket failed.</summary>
    private int ReceiveFromHost(Span<byte> target)
    {
        try
        {
            return Host.Receive(target);
        }
        catch (LinuxException e) when (e.Errno is Errno.ECONNRESET or Errno.ENOTCONN or Errno.EPIPE)
        {
            return 0;
        }
    }

    private void QueueShutdown(VsockShutdown flags)
    {
        VsockShutdown wanted = LocalShutdown | flags;
        if (wanted != LocalShutdown)
        {
            LocalShutdown = wanted;
            Pending |= VsockPendingRx.Shutdown;
        }
    }

    private void WriteHeader(ChainWriter writer, VsockOp op, uint length, uint flags, VsockMetrics metrics)
    {
        WriteHeaderAt(writer, op, length, flags, metrics);
        writer.Advance(VsockPacketHeader.Size);
    }

    private void WriteHeaderAt(ChainWriter writer, VsockOp op, uint length, uint flags, VsockMetrics metrics)
    {
        var header = new VsockPacketHeader
        {
            SourceCid = VsockDevice.HostCid,
            DestinationCid = _guestCid,
            SourcePort = LocalPort,
            DestinationPort = PeerPort,
            Length = length,
            Type = VsockPacketHeader.StreamType,
            Op = op,
            Flags = flags,
            BufferAllocation = VsockLimits.ConnectionBufferBytes,
            ForwardCount = _fwdCount,
        };
        writer.WriteAt(0, MemoryMarshal.AsBytes(new ReadOnlySpan<VsockPacketHeader>(in header)));
        _lastFwdCountSent = _fwdCount;
        Pending &= ~VsockPendingRx.CreditUpdate; // every header carries fwd_cnt
        metrics.PacketsToGuest++;
    }

    // ---- endings ----

    /// <summary>Ends the connection and asks the muxer to send the guest an RST.</summary>
    public void Reset(string reason)
    {
        WantsReset = State != VsockConnectionState.LocalInit || (Pending & VsockPendingRx.Request) == 0;
        Close(reason);
    }

    /// <summary>Ends the connection without telling the guest (it reset us, or never heard of us).</summary>
    public void Close(string reason)
    {
        if (State == VsockConnectionState.Closed)
        {
            return;
        }
        if (State == VsockConnectionState.LocalInit)
        {
            Refused?.Invoke(reason);
            Refused = null;
            Established = null;
        }
        _state.Move(VsockConnectionState.Closed);
        Pending = VsockPendingRx.None;
        Tx.Dispose();
    }

    /// <summary>The muxer's timer ticked (every 100 ms while <see cref="NeedsTimer"/>): gives up when the
    /// deadline passed (no RESPONSE, or no RST while closing); asks the guest for credit once when host data
    /// has waited for it <see cref="CreditRequestDelay"/>.</summary>
    public void OnTimer(long now)
    {
        if (Deadline != 0 && Deadline <= now)
        {
            Reset(State == VsockConnectionState.LocalInit ? $"the guest did not answer a connection to port {PeerPort} in time" : "close timed out");
            return;
        }
        if (_creditStalledSince != 0 && !_creditRequested && now - _creditStalledSince >= (long)CreditRequestDelay.TotalMilliseconds)
        {
            _creditRequested = true;
            Pending |= VsockPendingRx.CreditRequest;
        }
    }
}
