using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Fuzz.Targets;

/// <summary>
/// virtio-vsock with real host sockets: a guest that posts RX and event buffers of any size and sends any
/// packet (mostly on streams it has seen, so connections get established and carry data), and a host side
/// that connects in-process and through the hybrid unix socket (with good and bad CONNECT lines), accepts
/// guest connections on two listeners, writes, reads, half-closes and closes at random, and resets the transport.
/// </summary>
internal sealed class VsockTarget : DeviceTarget
{
    private const uint GuestCid = 3;
    private const int RxQueue = 0;
    private const int TxQueue = 1;
    private const int EventQueue = 2;
    private const int RxSlotBytes = VsockPacketHeader.Size + 4096;
    private const int RxSlots = 64;
    private const int TxSlotBytes = VsockPacketHeader.Size + VsockLimits.MaxPacketPayload + 128;
    private const int TxSlots = 4;
    private const int MaxHostSockets = 64;

    private static readonly uint[] ListenedHostPorts = [1024, 1025];
    private static readonly uint[] HostPorts = [1024, 1025, 2000, 0, uint.MaxValue];
    private static readonly uint[] GuestPorts = [1024, 1025, 50_000, 7];

    private readonly string _directory;
    private readonly string _socket;
    private readonly List<Socket> _listeners = [];
    private readonly List<Socket> _hostSockets = [];
    private readonly List<Task<Stream>> _connecting = [];
    private readonly Dictionary<ushort, GuestAddress> _rxPosted = [];
    private readonly List<(uint HostPort, uint GuestPort)> _known = [];
    private readonly GuestAddress _rxArea;
    private readonly GuestAddress _txArea;
    private readonly byte[] _scratch = new byte[VsockLimits.MaxPacketPayload + 128];
    private int _txSlot;
    private long _hostBytesSent;
    private long _hostBytesReceived;
    private long _inProcessConnections;

    public VsockTarget() : this(Directory.CreateTempSubdirectory("ksfz-").FullName)
    {
    }

    private VsockTarget(string directory)
        : base((loop, log) => new VsockDevice(new VsockOptions(GuestCid, Path.Combine(directory, "v.sock"))
        {
            ConnectTimeout = TimeSpan.FromMilliseconds(200),
            CloseTimeout = TimeSpan.FromMilliseconds(200),
            HandshakeTimeout = TimeSpan.FromMilliseconds(200),
        }, loop, logSink: log))
    {
        _directory = directory;
        _socket = Path.Combine(directory, "v.sock");
        foreach (uint port in ListenedHostPorts)
        {
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            listener.Bind(new UnixDomainSocketEndPoint($"{_socket}_{port}"));
            listener.Listen(16);
            _listeners.Add(listener);
        }
        _rxArea = Fake.Allocate((ulong)RxSlots * RxSlotBytes);
        _txArea = Fake.Allocate((ulong)TxSlots * TxSlotBytes);
    }

    private VsockDevice Vsock => (VsockDevice)Fake.Device;

    /// <summary>Timer and listener, plus one per connection and per pending handshake.</summary>
    protected override int MaxOwnRegistrations
    {
        get
        {
            lock (Vsock.Sync)
            {
                return 2 + Vsock.Muxer.ConnectionCount + Vsock.Muxer.HandshakeCount;
            }
        }
    }

    protected override void DeviceAction(Random random)
    {
        int choice = random.Next(100);
        if (choice < 25)
        {
            PostRxBuffers(random);
        }
        else if (choice < 28)
        {
            PostEventBuffers(random);
        }
        else if (choice < 65)
        {
            SendPacket(random);
        }
        else
        {
            HostAction(random);
        }
        RunLoopUntilIdle();
        ReadGuestRx(random);
    }

    // ---- guest ----

    private void PostRxBuffers(Random random)
    {
        int count = random.Next(1, 9);
        for (int i = 0; i < count; i++)
        {
            GuestAddress slot = _rxArea.Add((ulong)random.Next(RxSlots) * RxSlotBytes);
            uint length = random.Next(20) switch
            {
                0 or 1 => VsockPacketHeader.Size, // room for a header only
                2 => (uint)random.Next(0, VsockPacketHeader.Size + 2),
                3 => HostileLength(random),
                4 => (uint)random.Next(VsockPacketHeader.Size, RxSlotBytes),
                _ => RxSlotBytes,
            };
            List<(ulong, uint, bool)> buffers = random.Next(4) == 0 && length > VsockPacketHeader.Size
                ? [(slot.Value, VsockPacketHeader.Size, true), (slot.Value + VsockPacketHeader.Size, Math.Min(length, RxSlotBytes) - VsockPacketHeader.Size, true)]
                : [(slot.Value, length, random.Next(40) != 0)];
            if (Driver.PostChain(random, RxQueue, buffers) is ushort head)
            {
                _rxPosted[head] = slot;
            }
        }
        Driver.Kick(random, RxQueue);
    }

    private static uint HostileLength(Random random) => random.Next(2) == 0 ? (uint)random.NextInt64(0, uint.MaxValue + 1L) : (uint)random.Next(0, 1 << 20);

    private void PostEventBuffers(Random random)
    {
        for (int i = random.Next(1, 5); i > 0; i--)
        {
            uint length = (uint)random.Next(0, 9);
            Driver.PostChain(random, EventQueue, [(Driver.RandomAddress(random, length), length, random.Next(10) != 0)]);
        }
        Driver.Kick(random, EventQueue);
    }

    private void SendPacket(Random random)
    {
        (uint hostPort, uint guestPort) = _known.Count > 0 && random.Next(10) < 7
            ? _known[random.Next(_known.Count)]
            : (HostPorts[random.Next(HostPorts.Length)], GuestPorts[random.Next(GuestPorts.Length)]);
        VsockOp op = random.Next(20) switch
        {
            < 3 => VsockOp.Request,
            < 5 => VsockOp.Response,
            < 11 => VsockOp.ReadWrite,
            11 or 12 => VsockOp.CreditUpdate,
            13 => VsockOp.CreditRequest,
            14 or 15 => VsockOp.Shutdown,
            16 => VsockOp.Rst,
            _ => (VsockOp)random.Next(0, 10),
        };
        int payload = op == VsockOp.ReadWrite || random.Next(10) == 0
            ? random.Next(4) switch { 0 => random.Next(0, VsockLimits.MaxPacketPayload + 100), _ => random.Next(0, 512) }
            : 0;
        var header = new VsockPacketHeader
        {
            SourceCid = random.Next(30) == 0 ? (ulong)random.NextInt64() : GuestCid,
            DestinationCid = random.Next(30) == 0 ? (ulong)random.Next(0, 5) : VsockDevice.HostCid,
            SourcePort = guestPort,
            DestinationPort = hostPort,
            Length = random.Next(20) == 0 ? (uint)random.Next() : (uint)payload,
            Type = random.Next(30) == 0 ? (ushort)random.Next(0, 4) : VsockPacketHeader.StreamType,
            Op = op,
            Flags = (uint)random.Next(0, 4),
            BufferAllocation = random.Next(8) switch { 0 => (uint)random.Next(), 1 => 0, _ => 256 * 1024 },
            ForwardCount = random.Next(4) == 0 ? (uint)random.Next() : 0,
        };
        GuestAddress at = _txArea.Add((ulong)(_txSlot++ % TxSlots) * TxSlotBytes);
        Driver.Memory.Write(at, MemoryMarshal.AsBytes(new ReadOnlySpan<VsockPacketHeader>(in header)));
        random.NextBytes(_scratch.AsSpan(0, payload));
        Driver.Memory.Write(at.Add(VsockPacketHeader.Size), _scratch.AsSpan(0, payload));
        List<(ulong, uint, bool)> buffers = random.Next(3) == 0
            ? [(at.Value, VsockPacketHeader.Size, false), (at.Value + VsockPacketHeader.Size, (uint)payload, false)]
            : [(at.Value, (uint)(VsockPacketHeader.Size + payload), false)];
        if (random.Next(30) == 0)
        {
            buffers.Add((Driver.RandomAddress(random, 64), 64, random.Next(2) == 0)); // trailing junk, maybe writable
        }
        Driver.PostChain(random, TxQueue, buffers);
        Driver.Kick(random, TxQueue);
    }

    /// <summary>Looks at what the device put in RX buffers: learns streams, answers REQUESTs most of the time.</summary>
    private void ReadGuestRx(Random random)
    {
        foreach (var (id, length) in Driver.TakeUsed(RxQueue))
        {
            if (length < VsockPacketHeader.Size || !_rxPosted.Remove((ushort)id, out GuestAddress at))
            {
                continue;
            }
            VsockPacketHeader packet = Driver.Memory.Read<VsockPacketHeader>(at);
            var stream = (packet.SourcePort, packet.DestinationPort);
            if (!_known.Contains(stream))
            {
                _known.Add(stream);
                if (_known.Count > 64)
                {
                    _known.RemoveAt(0);
                }
            }
            if (packet.Op == VsockOp.Request && random.Next(10) < 7)
            {
                Reply(random, packet, VsockOp.Response);
            }
            else if (packet.Op == VsockOp.CreditRequest && random.Next(2) == 0)
            {
                Reply(random, packet, VsockOp.CreditUpdate);
            }
        }
    }

    private void Reply(Random random, in VsockPacketHeader to, VsockOp op)
    {
        var header = new VsockPacketHeader
        {
            SourceCid = GuestCid,
            DestinationCid = VsockDevice.HostCid,
            SourcePort = to.DestinationPort,
            DestinationPort = to.SourcePort,
            Type = VsockPacketHeader.StreamType,
            Op = op,
            BufferAllocation = 256 * 1024,
        };
        GuestAddress at = _txArea.Add((ulong)(_txSlot++ % TxSlots) * TxSlotBytes);
        Driver.Memory.Write(at, MemoryMarshal.AsBytes(new ReadOnlySpan<VsockPacketHeader>(in header)));
        Driver.PostChain(random, TxQueue, [(at.Value, VsockPacketHeader.Size, false)]);
        Driver.Kick(random, TxQueue);
        RunLoopUntilIdle();
    }

    // ---- host ----

    private void HostAction(Random random)
    {
        CollectConnected();
        AcceptGuestConnections();
        switch (random.Next(20))
        {
            case 0 or 1:
                if (_hostSockets.Count + _connecting.Count < MaxHostSockets)
                {
                    _connecting.Add(Vsock.ConnectAsync(GuestPorts[random.Next(GuestPorts.Length)]));
                    _inProcessConnections++;
                }
                break;
            case 2 or 3:
                ConnectUnixClient(random);
                break;
            case 4 or 5 or 6 or 7 or 8 or 9:
                WriteToHostSocket(random);
                break;
            case 10 or 11 or 12 or 13:
                ReadFromHostSocket(random);
                break;
            case 14:
                if (PickHostSocket(random) is { } half)
                {
                    Try(() => half.Shutdown(SocketShutdown.Send));
                }
                break;
            case 15 or 16:
                if (PickHostSocket(random) is { } closing)
                {
                    _hostSockets.Remove(closing);
                    closing.Dispose();
                }
                break;
            case 17:
                if (random.Next(10) == 0)
                {
                    Vsock.ResetTransport();
                }
                break;
            default:
                break;
        }
    }

    private void CollectConnected()
    {
        for (int i = _connecting.Count - 1; i >= 0; i--)
        {
            Task<Stream> task = _connecting[i];
            if (!task.IsCompleted)
            {
                continue;
            }
            _connecting.RemoveAt(i);
            if (task.IsCompletedSuccessfully && task.Result is NetworkStream stream)
            {
                stream.Socket.Blocking = false;
                _hostSockets.Add(stream.Socket);
            }
            else
            {
                _ = task.Exception; // refused or timed out: observed
            }
        }
    }

    private void AcceptGuestConnections()
    {
        foreach (Socket listener in _listeners)
        {
            while (_hostSockets.Count < MaxHostSockets && listener.Poll(0, SelectMode.SelectRead))
            {
                Socket accepted = listener.Accept();
                accepted.Blocking = false;
                _hostSockets.Add(accepted);
            }
        }
    }

    private void ConnectUnixClient(Random random)
    {
        if (_hostSockets.Count >= MaxHostSockets)
        {
            return;
        }
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            client.Connect(new UnixDomainSocketEndPoint(_socket));
        }
        catch (SocketException)
        {
            client.Dispose(); // backlog full: the device is not accepting fast enough, which is its right
            return;
        }
        string line = random.Next(6) switch
        {
            0 => "CONNECT 99999999999\n",
            1 => new string('x', random.Next(0, 100)),
            2 => $"CONNECT {GuestPorts[random.Next(GuestPorts.Length)]}",
            3 => "connect 1024\r\n",
            _ => $"CONNECT {GuestPorts[random.Next(GuestPorts.Length)]}\n",
        };
        Try(() => client.Send(Encoding.ASCII.GetBytes(line)));
        _hostSockets.Add(client);
    }

    private void WriteToHostSocket(Random random)
    {
        if (PickHostSocket(random) is not { } socket)
        {
            return;
        }
        int length = random.Next(4) == 0 ? random.Next(0, _scratch.Length) : random.Next(1, 256);
        random.NextBytes(_scratch.AsSpan(0, length));
        Try(() => _hostBytesSent += socket.Send(_scratch, 0, length, SocketFlags.None));
    }

    private void ReadFromHostSocket(Random random)
    {
        if (PickHostSocket(random) is not { } socket)
        {
            return;
        }
        Try(() =>
        {
            while (socket.Available > 0)
            {
                int n = socket.Receive(_scratch);
                if (n <= 0)
                {
                    break;
                }
                _hostBytesReceived += n;
            }
        });
    }

    private Socket? PickHostSocket(Random random) => _hostSockets.Count == 0 ? null : _hostSockets[random.Next(_hostSockets.Count)];

    /// <summary>Host socket calls fail in every way a closed or full socket can; that is the host's business.</summary>
    private static void Try(Action action)
    {
        try
        {
            action();
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    protected override string? CheckDeviceBounds()
    {
        lock (Vsock.Sync)
        {
            VsockMuxer muxer = Vsock.Muxer;
            int connections = muxer.ConnectionCount;
            long bufferedBound = (long)connections * VsockLimits.ConnectionBufferBytes + VsockLimits.MaxPendingHandshakes * VsockLimits.HandshakeLineBytes;
            if (connections > VsockLimits.MaxConnections)
            {
                return $"{connections} vsock connections (bound {VsockLimits.MaxConnections})";
            }
            if (muxer.BufferedBytes > bufferedBound)
            {
                return $"{muxer.BufferedBytes} bytes buffered for {connections} connections (bound {bufferedBound})";
            }
            if (muxer.QueuedResets > VsockLimits.MaxQueuedResets)
            {
                return $"{muxer.QueuedResets} queued RSTs (bound {VsockLimits.MaxQueuedResets})";
            }
            if (muxer.RxQueueLength > connections)
            {
                return $"{muxer.RxQueueLength} entries in the RX round-robin for {connections} connections";
            }
            if (muxer.HandshakeCount > VsockLimits.MaxPendingHandshakes)
            {
                return $"{muxer.HandshakeCount} pending handshakes (bound {VsockLimits.MaxPendingHandshakes})";
            }
            return null;
        }
    }

    protected override void CollectCoverage(Dictionary<string, long> coverage)
    {
        VsockMetrics metrics = Vsock.Metrics;
        coverage["packets from guest"] = metrics.PacketsFromGuest;
        coverage["packets to guest"] = metrics.PacketsToGuest;
        coverage["connections opened"] = metrics.ConnectionsOpened;
        coverage["in-process connects"] = _inProcessConnections;
        coverage["bytes to guest"] = metrics.BytesToGuest;
        coverage["bytes from guest"] = metrics.BytesFromGuest;
        coverage["host bytes sent"] = _hostBytesSent;
        coverage["host bytes received"] = _hostBytesReceived;
        coverage["protocol violations"] = metrics.ProtocolViolations;
    }

    public override void Dispose()
    {
        foreach (Socket socket in _hostSockets.Concat(_listeners))
        {
            socket.Dispose();
        }
        base.Dispose();
        foreach (Task<Stream> task in _connecting)
        {
            if (task.IsCompletedSuccessfully)
            {
                task.Result.Dispose();
            }
            else if (task.IsFaulted)
            {
                _ = task.Exception; // refused when the device shut down: observed
            }
        }
        Directory.Delete(_directory, recursive: true);
    }
}
