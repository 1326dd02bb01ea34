using System.Net.Sockets;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Sockets;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// The host side of vsock ("hybrid vsock"): maps guest streams to unix sockets. Host clients connect to
/// <see cref="VsockOptions.SocketPath"/> and write "CONNECT port\n" (answered "OK localport\n" once the
/// guest accepts); guest connections to port P are forwarded to a listener at "SocketPath_P" only if one
/// is there (otherwise RST); in-process callers get a stream over a socketpair.
/// Runs on the event loop thread with the device lock held; it decides what the guest is told next
/// (a round-robin of connections with pending packets, plus a bounded queue of RSTs) and keeps each host
/// socket's epoll interest in step with its connection's flow-control state.
/// </summary>
public sealed class VsockMuxer : IDisposable
{
    private const uint FirstLocalPort = 0x4000_0000;

    private readonly object _sync;
    private readonly EventLoop _loop;
    private readonly VsockOptions _options;
    private readonly VsockMetrics _metrics;
    private readonly GuestErrorLog _errors;
    private readonly Action _rxReady;
    private readonly Dictionary<(uint Local, uint Peer), VsockConnection> _connections = [];
    private readonly Dictionary<VsockConnection, Watch> _watches = [];
    private readonly LinkedList<VsockConnection> _rxQueue = new();
    private readonly Queue<VsockPacketHeader> _resets = new();
    private readonly List<HostHandshake> _handshakes = [];
    private readonly StreamSocket? _listener;
    private readonly IDisposable? _listenerRegistration;
    private readonly TimerFd _timer;
    private readonly IDisposable _timerRegistration;
    private bool _timerArmed;
    private uint _nextLocalPort = FirstLocalPort;
    private bool _disposed;

    /// <param name="sync">The device lock: every handler here takes it.</param>
    /// <param name="rxReady">Asks the device to move pending packets into RX buffers (called with the lock held).</param>
    public VsockMuxer(object sync, EventLoop loop, VsockOptions options, VsockMetrics metrics, GuestErrorLog errors, Action rxReady)
    {
        options.Validate();
        _sync = sync;
        _loop = loop;
        _options = options;
        _metrics = metrics;
        _errors = errors;
        _rxReady = rxReady;
        _timer = TimerFd.Create();
        _timerRegistration = loop.Register(_timer.Descriptor.Value, EpollEvents.In, _ => Locked(OnTimer));
        if (options.SocketPath is { } path)
        {
            try
            {
                _listener = StreamSocket.ListenUnix(path);
            }
            catch (LinuxException e)
            {
                _timerRegistration.Dispose();
                _timer.Dispose();
                string fix = e.Errno == Errno.EADDRINUSE ? "remove the stale socket file or choose another path" : "check that its directory exists and is writable";
                throw new VsockException($"cannot listen on vsock socket '{path}': {e.Message}; {fix}", e);
            }
            _listenerRegistration = loop.Register(_listener.Descriptor.Value, EpollEvents.In, _ => Locked(AcceptClients));
        }
    }

    public bool HasPendingRx => _resets.Count > 0 || _rxQueue.Count > 0;

    public int ConnectionCount => _connections.Count;

    /// <summary>RSTs waiting for an RX buffer (at most <see cref="VsockLimits.MaxQueuedResets"/>).</summary>
    internal int QueuedResets => _resets.Count;

    /// <summary>Connections in the RX round-robin (at most one entry each).</summary>
    internal int RxQueueLength => _rxQueue.Count;

    /// <summary>Whether the 100 ms timer is ticking (handshakes, deadlines or credit stalls waiting on it).</summary>
    internal bool TimerArmed => _timerArmed;

    /// <summary>Host clients still sending their CONNECT line (at most <see cref="VsockLimits.MaxPendingHandshakes"/>).</summary>
    internal int HandshakeCount => _handshakes.Count;

    /// <summary>Guest data held for host sockets that were not ready (bounded by credit) plus partial CONNECT lines.</summary>
    public long BufferedBytes => _connections.Values.Sum(c => (long)c.Tx.Count) + _handshakes.Count * VsockLimits.HandshakeLineBytes;

    // ---- guest → host ----

    /// <summary>A packet the guest put on the TX queue; its payload follows in <paramref name="payload"/>.</summary>
    public void OnGuestPacket(in VsockPacketHeader header, ChainReader payload, uint guestCid)
    {
        _metrics.PacketsFromGuest++;
        if (header.SourceCid != guestCid || header.DestinationCid != VsockDevice.HostCid)
        {
            Violation($"packet with addresses {header.SourceCid} -> {header.DestinationCid} (the guest is {guestCid}, the host {VsockDevice.HostCid}): dropped");
            return;
        }
        var key = (header.DestinationPort, header.SourcePort);
        bool known = _connections.TryGetValue(key, out VsockConnection? connection);
        if (header.Type != VsockPacketHeader.StreamType || header.Length > VsockLimits.MaxPacketPayload || header.Length > payload.Remaining)
        {
            Violation($"malformed packet ({header}) with {payload.Remaining} payload bytes: resetting");
            if (known)
            {
                connection!.Reset("malformed packet");
                Refresh(connection);
            }
            else
            {
                QueueReset(header.DestinationPort, header.SourcePort);
            }
            return;
        }
        if (known)
        {
            connection!.OnGuestPacket(header, payload, _metrics, _errors);
            Refresh(connection);
        }
        else if (header.Op == VsockOp.Request)
        {
            OpenGuestInitiated(header);
        }
        else if (header.Op != VsockOp.Rst)
        {
            QueueReset(header.DestinationPort, header.SourcePort);
        }
    }

    private void OpenGuestInitiated(in VsockPacketHeader request)
    {
        uint port = request.DestinationPort;
        if (_options.SocketPath is null || _connections.Count >= VsockLimits.MaxConnections)
        {
            QueueReset(port, request.SourcePort);
            return;
        }
        StreamSocket socket;
        try
        {
            // Only an explicitly opened listener is reachable; the port is a number, never a guest path.
            socket = StreamSocket.ConnectUnix($"{_options.SocketPath}_{port}");
        }
        catch (LinuxException)
        {
            QueueReset(port, request.SourcePort);
            return;
        }
        VsockConnection connection = NewConnection(socket, port, request.SourcePort, VsockConnectionState.PeerInit);
        connection.ApplyPeerCredit(request);
        Add(connection);
    }

    // ---- host → guest ----

    /// <summary>Writes the next packet the guest is owed into an RX chain (≥ one header of room). False when nothing
    /// that fits is due.</summary>
    public bool TryFillRx(ChainWriter writer)
    {
        if (_resets.TryDequeue(out VsockPacketHeader reset))
        {
            WriteReset(writer, reset);
            return true;
        }
        // Each connection queued now is tried once: one that cannot use this buffer goes back to the end
        // of the round-robin (Refresh) and must not be tried again for the same buffer.
        for (int queued = _rxQueue.Count; queued > 0 && _rxQueue.First is { } first; queued--)
        {
            VsockConnection connection = first.Value;
            _rxQueue.RemoveFirst();
            connection.RxQueueNode = null;
            if (connection.State == VsockConnectionState.Closed)
            {
                continue;
            }
            bool produced = connection.TryWriteNext(writer, _metrics);
            Refresh(connection);
            if (produced)
            {
                return true;
            }
        }
        return false;
    }

    private void WriteReset(ChainWriter writer, in VsockPacketHeader reset)
    {
        writer.WriteAt(0, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<VsockPacketHeader>(in reset)));
        writer.Advance(VsockPacketHeader.Size);
        _metrics.PacketsToGuest++;
    }

    private void QueueReset(uint localPort, uint peerPort)
    {
        _metrics.ResetsSent++;
        if (_resets.Count >= VsockLimits.MaxQueuedResets)
        {
            return; // the guest's side times out instead; memory stays bounded
        }
        _resets.Enqueue(new VsockPacketHeader
        {
            SourceCid = VsockDevice.HostCid,
            DestinationCid = _options.GuestCid,
            SourcePort = localPort,
            DestinationPort = peerPort,
            Type = VsockPacketHeader.StreamType,
            Op = VsockOp.Rst,
            BufferAllocation = VsockLimits.ConnectionBufferBytes,
        });
    }

    // ---- connections ----

    /// <summary>A connection with the device's timeouts and credit-request delay.</summary>
    private VsockConnection NewConnection(StreamSocket host, uint localPort, uint peerPort, VsockConnectionState initial) =>
        new(host, localPort, peerPort, _options.GuestCid, initial)
        {
            ConnectTimeout = _options.ConnectTimeout,
            CloseTimeout = _options.CloseTimeout,
            CreditRequestDelay = _options.CreditRequestDelay,
        };

    private void Add(VsockConnection connection)
    {
        _connections[(connection.LocalPort, connection.PeerPort)] = connection;
        _metrics.ConnectionsOpened++;
        var watch = new Watch();
        _watches[connection] = watch;
        watch.Registration = _loop.Register(connection.Host.Descriptor.Value, EpollEvents.None,
            events => Locked(() => OnHostEvents(connection, events)));
        Refresh(connection);
    }

    private void OnHostEvents(VsockConnection connection, EpollEvents events)
    {
        if (connection.State == VsockConnectionState.Closed)
        {
            return;
        }
        connection.OnHostEvents(events);
        Refresh(connection);
    }

    /// <summary>Brings bookkeeping in line with the connection: removal when closed, epoll interest,
    /// RX round-robin membership, timer.</summary>
    private void Refresh(VsockConnection connection)
    {
        if (connection.State == VsockConnectionState.Closed)
        {
            Remove(connection);
            return;
        }
        Watch watch = _watches[connection];
        if (connection.HostHungUp)
        {
            watch.Registration?.Dispose();
            watch.Registration = null;
        }
        else if (watch.Registration is not null && connection.DesiredEvents != watch.Events)
        {
            watch.Events = connection.DesiredEvents;
            _loop.Modify(watch.Registration, watch.Events);
        }
        if (connection.Pending != VsockPendingRx.None && connection.RxQueueNode is null)
        {
            connection.RxQueueNode = _rxQueue.AddLast(connection);
        }
        if (connection.NeedsTimer)
        {
            ArmTimer();
        }
    }

    private void Remove(VsockConnection connection)
    {
        if (!_watches.Remove(connection, out Watch? watch))
        {
            return;
        }
        _connections.Remove((connection.LocalPort, connection.PeerPort));
        if (connection.RxQueueNode is { } node)
        {
            // A closed connection owes the guest nothing: a guest that opens and resets streams without posting
            // RX buffers must not grow this list.
            _rxQueue.Remove(node);
            connection.RxQueueNode = null;
        }
        watch.Registration?.Dispose();
        connection.Host.Dispose();
        if (connection.WantsReset)
        {
            QueueReset(connection.LocalPort, connection.PeerPort);
        }
    }

    private uint AllocateLocalPort()
    {
        while (true)
        {
            uint port = _nextLocalPort++;
            if (_nextLocalPort == uint.MaxValue)
            {
                _nextLocalPort = FirstLocalPort;
            }
            if (!_connections.Keys.Any(k => k.Local == port))
            {
                return port;
            }
        }
    }

    // ---- host clients ----

    private void AcceptClients()
    {
        // Level-triggered: clients beyond this turn's share keep the listener readable for the next turn.
        for (int accepted = 0; accepted < VsockLimits.AcceptsPerTurn && _listener?.Accept() is { } client; accepted++)
        {
            if (_handshakes.Count >= VsockLimits.MaxPendingHandshakes)
            {
                client.Dispose();
                continue;
            }
            var handshake = new HostHandshake(client, Environment.TickCount64 + (long)_options.HandshakeTimeout.TotalMilliseconds);
            _handshakes.Add(handshake);
            handshake.Registration = _loop.Register(client.Descriptor.Value, EpollEvents.In, _ => Locked(() => ContinueHandshake(handshake)));
            ArmTimer();
        }
    }

    private void ContinueHandshake(HostHandshake handshake)
    {
        if (!_handshakes.Contains(handshake))
        {
            return;
        }
        HandshakeResult result = handshake.TryRead(out uint port);
        if (result == HandshakeResult.Incomplete)
        {
            return;
        }
        EndHandshake(handshake, closeSocket: result != HandshakeResult.Connect);
        if (result != HandshakeResult.Connect)
        {
            return;
        }
        if (_connections.Count >= VsockLimits.MaxConnections)
        {
            handshake.Socket.Dispose();
            return;
        }
        uint localPort = AllocateLocalPort();
        StreamSocket client = handshake.Socket;
        VsockConnection connection = NewConnection(client, localPort, port, VsockConnectionState.LocalInit);
        connection.Established = c =>
        {
            byte[] ok = System.Text.Encoding.ASCII.GetBytes($"OK {localPort}\n");
            try
            {
                if (client.Send(ok) != ok.Length)
                {
                    c.Reset("could not send OK to the host client");
                }
            }
            catch (LinuxException e)
            {
                c.Reset($"host client went away: {e.Errno}");
            }
        };
        Add(connection);
    }

    private void EndHandshake(HostHandshake handshake, bool closeSocket)
    {
        _handshakes.Remove(handshake);
        handshake.Registration?.Dispose();
        if (closeSocket)
        {
            handshake.Socket.Dispose();
        }
    }

    /// <summary>Opens a stream to guest port <paramref name="port"/> without a unix socket: completes with the
    /// host end once the guest accepts, fails with <see cref="VsockException"/> when it refuses or does not answer.
    /// Callable from any thread.</summary>
    public Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken = default)
    {
        var result = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (ours, theirs) = StreamSocket.CreateUnixPair(nonBlocking: false);
        ours.Descriptor.SetNonBlocking();
        _loop.Post(() => Locked(() =>
        {
            if (_disposed || _connections.Count >= VsockLimits.MaxConnections)
            {
                ours.Dispose();
                theirs.Dispose();
                result.TrySetException(new VsockException(_disposed ? "the vsock device is shut down" : "too many vsock connections"));
                return;
            }
            VsockConnection connection = NewConnection(ours, AllocateLocalPort(), port, VsockConnectionState.LocalInit);
            connection.Established = _ =>
            {
                var stream = new NetworkStream(theirs.ToDotNetSocket(), ownsSocket: true);
                if (!result.TrySetResult(stream))
                {
                    stream.Dispose(); // the caller gave up meanwhile: the guest sees the stream close
                }
            };
            connection.Refused = reason =>
            {
                theirs.Dispose();
                result.TrySetException(new VsockException($"vsock connection to guest port {port} failed: {reason}"));
            };
            Add(connection);
        }));
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => result.TrySetCanceled(cancellationToken));
        }
        return result.Task;
    }

    // ---- timeouts ----

    private void ArmTimer()
    {
        if (!_timerArmed)
        {
            _timerArmed = true;
            _timer.Set(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
        }
    }

    private void OnTimer()
    {
        _timer.Drain();
        long now = Environment.TickCount64;
        foreach (HostHandshake handshake in _handshakes.Where(h => h.Deadline <= now).ToList())
        {
            EndHandshake(handshake, closeSocket: true);
        }
        bool waiting = _handshakes.Count > 0;
        foreach (VsockConnection connection in _connections.Values.Where(c => c.NeedsTimer).ToList())
        {
            connection.OnTimer(now);
            Refresh(connection);
            waiting |= connection.NeedsTimer && connection.State != VsockConnectionState.Closed;
        }
        if (!waiting)
        {
            _timerArmed = false;
            _timer.Set(TimeSpan.Zero, TimeSpan.Zero);
        }
    }

    // ---- lifecycle ----

    /// <summary>Drops every connection (device reset or transport reset). Host clients see their socket close.
    /// Safe from any thread with the device lock held: registrations are released on the loop thread.</summary>
    public void DropAllConnections(string reason)
    {
        var doomed = new List<(StreamSocket Socket, IDisposable? Registration)>();
        foreach (VsockConnection connection in _connections.Values)
        {
            connection.Close(reason);
            connection.RxQueueNode = null;
            doomed.Add((connection.Host, _watches[connection].Registration));
        }
        _connections.Clear();
        _watches.Clear();
        _rxQueue.Clear();
        _resets.Clear();
        if (doomed.Count > 0)
        {
            RunOnLoop(() =>
            {
                foreach (var (socket, registration) in doomed)
                {
                    registration?.Dispose();
                    socket.Dispose();
                }
            });
        }
    }

    private void RunOnLoop(Action action)
    {
        if (_loop.IsLoopThread)
        {
            action();
        }
        else
        {
            try
            {
                _loop.Post(action);
            }
            catch (ObjectDisposedException)
            {
                action(); // the loop is gone: nothing can race with us any more
            }
        }
    }

    private void Locked(Action action)
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }
            action();
            if (HasPendingRx)
            {
                _rxReady();
            }
        }
    }

    private void Violation(string message)
    {
        _metrics.ProtocolViolations++;
        _errors.Report(message);
    }

    public void Dispose() => Dispose(VirtioDevice.DefaultDisposeTimeout);

    /// <summary>Closes every connection and the listener. Waits at most <paramref name="lockTimeout"/> for the device
    /// lock; false when it stays held (the event loop is stuck in this device): then nothing is closed, since the
    /// loop may still be using it.</summary>
    internal bool Dispose(TimeSpan lockTimeout)
    {
        List<IDisposable?> registrations;
        List<StreamSocket> sockets;
        if (!Monitor.TryEnter(_sync, lockTimeout))
        {
            return false;
        }
        try
        {
            if (_disposed)
            {
                return true;
            }
            _disposed = true;
            foreach (VsockConnection connection in _connections.Values)
            {
                connection.Close("the vsock device is shutting down");
            }
            registrations = [.. _watches.Values.Select(w => w.Registration), .. _handshakes.Select(h => h.Registration), _listenerRegistration, _timerRegistration];
            sockets = [.. _connections.Values.Select(c => c.Host), .. _handshakes.Select(h => h.Socket)];
            _connections.Clear();
            _watches.Clear();
            _handshakes.Clear();
        }
        finally
        {
            Monitor.Exit(_sync);
        }
        // Outside the lock: unregistering waits for the loop thread, which may be waiting for the lock.
        foreach (IDisposable? registration in registrations)
        {
            registration?.Dispose();
        }
        foreach (StreamSocket socket in sockets)
        {
            socket.Dispose();
        }
        _timer.Dispose();
        if (_listener is not null)
        {
            _listener.Dispose();
            try
            {
                File.Delete(_options.SocketPath!);
            }
            catch (IOException)
            {
            }
        }
        return true;
    }

    private sealed class Watch
    {
        public IDisposable? Registration { get; set; }

        public EpollEvents Events { get; set; }
    }
}
