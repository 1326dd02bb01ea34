using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>virtio-vsock against a fake Linux guest and real unix sockets on the host side.</summary>
public sealed class VsockDeviceTests : IDisposable
{
    private readonly TempFiles _files = new();
    private readonly string _socket;

    public VsockDeviceTests()
    {
        _socket = _files.PathOf("v.sock");
    }

    public void Dispose() => _files.Dispose();

    private FakeVsockGuest NewGuest(TimeSpan? connectTimeout = null, bool splitHeaders = false, TimeSpan? handshakeTimeout = null, TimeSpan? creditRequestDelay = null) =>
        new(new VsockOptions(FakeVsockGuest.Cid, _socket)
        {
            ConnectTimeout = connectTimeout ?? VsockLimits.ConnectTimeout,
            HandshakeTimeout = handshakeTimeout ?? VsockLimits.HandshakeTimeout,
            CreditRequestDelay = creditRequestDelay ?? VsockLimits.CreditRequestDelay,
        }, splitHeaders: splitHeaders);

    /// <summary>Runs host-side work on another thread while this one keeps the fake guest running.</summary>
    private static T Host<T>(FakeVsockGuest guest, Func<T> work, string what)
    {
        Task<T> task = Task.Run(work);
        guest.PumpUntil(() => task.IsCompleted, what);
        return task.GetAwaiter().GetResult();
    }

    private static Socket ConnectUnix(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private static Socket ListenUnix(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(128);
        return socket;
    }

    /// <summary>Reads one line the way a hybrid-vsock client does; null when the socket closes (or is reset,
    /// as happens when the device drops a client with unread bytes) first.</summary>
    private static string? ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        try
        {
            while (socket.Receive(one) == 1)
            {
                if (one[0] == '\n')
                {
                    return line.ToString();
                }
                line.Append((char)one[0]);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        return null;
    }

    private static byte[] ReceiveExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int n = socket.Receive(buffer, done, count - done, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException($"stream ended after {done} of {count} bytes");
            }
            done += n;
        }
        return buffer;
    }

    private static byte[] ReceiveToEnd(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            all.Write(buffer, 0, n);
        }
        return all.ToArray();
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Host client connects through the unix socket to a listening guest port.</summary>
    private (Socket Client, GuestStream Guest, uint HostPort) HostConnect(FakeVsockGuest guest, uint port)
    {
        var (client, line) = Host(guest, () =>
        {
            Socket s = ConnectUnix(_socket);
            s.Send(Encoding.ASCII.GetBytes($"CONNECT {port}\n"));
            return (s, ReadLine(s));
        }, $"OK for CONNECT {port}");
        Assert.NotNull(line);
        Assert.StartsWith("OK ", line);
        uint hostPort = uint.Parse(line[3..]);
        GuestStream stream = guest.Streams.Single(s => s.GuestPort == port && s.HostPort == hostPort);
        return (client, stream, hostPort);
    }

    [Fact]
    public void Config_space_holds_the_guest_cid()
    {
        using FakeVsockGuest guest = NewGuest();
        Assert.Equal((uint)VirtioDeviceType.Vsock, guest.Driver.Read(MmioRegister.DeviceId));
        Assert.Equal((ulong)FakeVsockGuest.Cid, BinaryPrimitives.ReadUInt64LittleEndian(guest.Driver.ReadConfig(0, 8)));
        Assert.Equal(3, guest.Device.Queues.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_host_client_connects_with_connect_and_ok_and_data_flows_both_ways(bool splitHeaders)
    {
        using FakeVsockGuest guest = NewGuest(splitHeaders: splitHeaders);
        guest.Listen(1234);
        var (client, stream, _) = HostConnect(guest, 1234);
        using (client)
        {
            client.Send("hello"u8.ToArray());
            Assert.Equal("hello"u8.ToArray(), guest.ReadExactly(stream, 5));

            guest.Write(stream, "world!"u8);
            Assert.Equal("world!"u8.ToArray(), Host(guest, () => ReceiveExactly(client, 6), "the reply on the host"));
        }
        Assert.Equal(0, guest.Device.Metrics.ProtocolViolations);
    }

    [Fact]
    public void Connecting_to_a_guest_port_nobody_listens_on_closes_the_client_without_ok()
    {
        using FakeVsockGuest guest = NewGuest();
        string? line = Host(guest, () =>
        {
            using Socket s = ConnectUnix(_socket);
            s.Send("connect 999\n"u8.ToArray()); // the keyword is case-insensitive
            return ReadLine(s);
        }, "the refused client to be closed");
        Assert.Null(line);
        guest.PumpUntil(() => guest.Device.ConnectionCount == 0, "the connection to be gone");
    }

    [Fact]
    public void A_guest_that_never_answers_times_the_client_out_and_gets_an_rst()
    {
        using FakeVsockGuest guest = NewGuest(connectTimeout: TimeSpan.FromMilliseconds(300));
        guest.AnswerRequests = false;
        string? line = Host(guest, () =>
        {
            using Socket s = ConnectUnix(_socket);
            s.Send("CONNECT 77\n"u8.ToArray());
            return ReadLine(s);
        }, "the client to time out");
        Assert.Null(line);
        guest.PumpUntil(() => guest.Received.Any(p => p.Op == VsockOp.Rst && p.DestinationPort == 77), "an RST for the abandoned request");
        Assert.Equal(0, guest.Device.ConnectionCount);
    }

    [Theory]
    [InlineData("HELLO 5\n")]
    [InlineData("CONNECT\n")]
    [InlineData("CONNECT -1\n")]
    [InlineData("CONNECT 99999999999\n")]
    [InlineData("CONNECT 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n")]
    public void A_malformed_connect_line_closes_the_client(string line)
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(5);
        string? answer = Host(guest, () =>
        {
            using Socket s = ConnectUnix(_socket);
            s.Send(Encoding.ASCII.GetBytes(line));
            return ReadLine(s);
        }, "the client to be dropped");
        Assert.Null(answer);
        Assert.DoesNotContain(guest.Received, p => p.Op == VsockOp.Request);
    }

    [Fact]
    public void A_client_that_never_finishes_its_connect_line_is_dropped_after_the_timeout()
    {
        using FakeVsockGuest guest = NewGuest(handshakeTimeout: TimeSpan.FromMilliseconds(200));
        string? answer = Host(guest, () =>
        {
            using Socket s = ConnectUnix(_socket);
            s.Send("CONN"u8.ToArray());
            return ReadLine(s);
        }, "the silent client to be dropped");
        Assert.Null(answer);
        Assert.Equal(0, guest.Device.BufferedBytes);
    }

    [Fact]
    public void A_guest_connection_reaches_the_host_listener_at_socket_underscore_port()
    {
        using FakeVsockGuest guest = NewGuest();
        using Socket listener = ListenUnix(_socket + "_5000");
        Task<Socket> accepted = listener.AcceptAsync();
        GuestStream stream = guest.Connect(5000);
        Assert.Equal(GuestStreamState.Established, stream.State);
        using Socket host = Host(guest, () => accepted.GetAwaiter().GetResult(), "the host listener to accept");

        guest.Write(stream, "ping"u8);
        Assert.Equal("ping"u8.ToArray(), Host(guest, () => ReceiveExactly(host, 4), "ping on the host"));
        host.Send("pong"u8.ToArray());
        Assert.Equal("pong"u8.ToArray(), guest.ReadExactly(stream, 4));

        guest.Shutdown(stream, VsockShutdown.Both);
        Assert.Empty(Host(guest, () => ReceiveToEnd(host), "end of stream on the host"));
        guest.PumpUntil(() => guest.Received.Any(p => p.Op == VsockOp.Rst && p.DestinationPort == stream.GuestPort), "the device's RST after a full shutdown");
        guest.PumpUntil(() => guest.Device.ConnectionCount == 0, "the connection to be removed");
    }

    [Fact]
    public void A_guest_connection_to_a_port_without_a_listener_is_reset()
    {
        using FakeVsockGuest guest = NewGuest();
        GuestStream stream = guest.Connect(5001);
        Assert.Equal(GuestStreamState.Reset, stream.State);
    }

    [Fact]
    public void The_host_never_sends_more_than_the_guest_credit_and_buffers_nothing_itself()
    {
        using FakeVsockGuest guest = NewGuest();
        using Socket listener = ListenUnix(_socket + "_6000");
        Task<Socket> accepted = listener.AcceptAsync();
        GuestStream stream = guest.Connect(6000, bufferAllocation: 64 * 1024);
        using Socket host = Host(guest, () => accepted.GetAwaiter().GetResult(), "accept");
        byte[] payload = RandomBytes(1 << 20, 1);
        Task sending = Task.Run(() => host.Send(payload));

        // The device fills our 64 KiB, then (the guest reading nothing) asks for credit after the delay:
        // proof it stopped for lack of it.
        guest.PumpUntil(() => guest.Received.Any(p => p.Op == VsockOp.CreditRequest), "a credit request from the device");
        Assert.Equal(64 * 1024, stream.TotalReceived);
        Assert.False(stream.CreditViolated);
        Assert.Equal(0, guest.Device.BufferedBytes);
        Assert.False(sending.IsCompleted);

        // The guest answered with the credit it had (none): one request per stall, then the device's timer
        // stops instead of asking again every tick.
        guest.PumpUntil(() => !guest.Device.Muxer.TimerArmed, "the device's timer to stop after its one request");
        Assert.Single(guest.Received, p => p.Op == VsockOp.CreditRequest);

        byte[] received = guest.ReadExactly(stream, payload.Length);
        Assert.Equal(payload, received);
        Assert.False(stream.CreditViolated);
        guest.PumpUntil(() => sending.IsCompleted, "the host send to finish");
    }

    [Fact]
    public void A_guest_that_updates_its_credit_itself_is_never_asked_for_it()
    {
        // The delay is out of reach, so only an eager request (on every empty window, as the device once
        // did: a request and its answer each time, twice vhost-vsock's guest notifications) can appear.
        using FakeVsockGuest guest = NewGuest(creditRequestDelay: TimeSpan.FromHours(1));
        using Socket listener = ListenUnix(_socket + "_6002");
        Task<Socket> accepted = listener.AcceptAsync();
        GuestStream stream = guest.Connect(6002);
        using Socket host = Host(guest, () => accepted.GetAwaiter().GetResult(), "accept");
        byte[] payload = RandomBytes(4 * FakeVsockGuest.DefaultBufferAllocation, 3);
        Task sending = Task.Run(() => host.Send(payload));

        // The whole window in flight and nothing read: the device is out of credit with data waiting.
        guest.PumpUntil(() => stream.TotalReceived == FakeVsockGuest.DefaultBufferAllocation, "the device to fill the guest's window");
        byte[] received = guest.ReadExactly(stream, payload.Length);
        Assert.Equal(payload, received);
        Assert.False(stream.CreditViolated);
        Assert.DoesNotContain(guest.Received, p => p.Op == VsockOp.CreditRequest);
        guest.PumpUntil(() => sending.IsCompleted, "the host send to finish");
    }

    [Fact]
    public void A_host_that_stops_reading_holds_at_most_one_credit_window_in_the_device()
    {
        using FakeVsockGuest guest = NewGuest();
        using Socket listener = ListenUnix(_socket + "_6001");
        Task<Socket> accepted = listener.AcceptAsync();
        GuestStream stream = guest.Connect(6001);
        using Socket host = Host(guest, () => accepted.GetAwaiter().GetResult(), "accept");
        host.ReceiveBufferSize = 16 * 1024;
        byte[] payload = RandomBytes(3 << 20, 2);
        int sent = 0;

        // Write while the device gives credit; with nobody reading on the host it must run out.
        guest.PumpUntil(() =>
        {
            if (stream.PeerCredit > 0 && sent < payload.Length)
            {
                int n = (int)Math.Min(Math.Min(stream.PeerCredit, 65536), payload.Length - sent);
                guest.Write(stream, payload.AsSpan(sent, n));
                sent += n;
            }
            return stream.PeerCredit == 0 && guest.Device.BufferedBytes > 0;
        }, "the guest to run out of credit");
        long held = guest.Device.BufferedBytes;
        Assert.InRange(held, 1, VsockLimits.ConnectionBufferBytes);
        Assert.True(sent < payload.Length, "everything fit: the test did not stop the host reader");

        // The host reads again: everything arrives, in order, and the guest finishes writing.
        Task<byte[]> reading = Task.Run(() => ReceiveExactly(host, payload.Length));
        guest.Write(stream, payload.AsSpan(sent));
        Assert.Equal(payload, Host(guest, () => reading.GetAwaiter().GetResult(), "the host to read it all"));
        Assert.Equal(0, guest.Device.Metrics.ProtocolViolations);
    }

    [Fact]
    public void A_guest_that_overruns_its_credit_is_reset()
    {
        using FakeVsockGuest guest = NewGuest();
        using Socket listener = ListenUnix(_socket + "_6002");
        Task<Socket> accepted = listener.AcceptAsync();
        GuestStream stream = guest.Connect(6002);
        using Socket host = Host(guest, () => accepted.GetAwaiter().GetResult(), "accept");
        host.ReceiveBufferSize = 16 * 1024;
        byte[] chunk = new byte[65536];
        for (int i = 0; i < 64 && stream.State != GuestStreamState.Reset; i++)
        {
            guest.Send(stream, VsockOp.ReadWrite, chunk); // ignoring credit on purpose
            guest.Pump();
        }
        guest.PumpUntil(() => stream.State == GuestStreamState.Reset, "the device to reset the stream");
        Assert.True(guest.Device.Metrics.ProtocolViolations > 0);
        Assert.True(guest.Device.BufferedBytes <= VsockLimits.ConnectionBufferBytes);
        guest.PumpUntil(() => guest.Device.ConnectionCount == 0, "the connection to be removed");
    }

    [Fact]
    public void A_guest_rst_closes_the_host_socket()
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(40);
        var (client, stream, _) = HostConnect(guest, 40);
        using (client)
        {
            guest.Reset(stream);
            Assert.Empty(Host(guest, () => ReceiveToEnd(client), "end of stream"));
        }
        guest.PumpUntil(() => guest.Device.ConnectionCount == 0, "the connection to be removed");
    }

    [Fact]
    public void A_host_that_closes_gets_its_data_delivered_then_a_full_shutdown()
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(41);
        var (client, stream, _) = HostConnect(guest, 41);
        byte[] payload = RandomBytes(300_000, 3);
        Host(guest, () =>
        {
            client.Send(payload);
            client.Dispose();
            return true;
        }, "the host to send and close");
        Assert.Equal(payload, guest.ReadExactly(stream, payload.Length));
        guest.PumpUntil(() => stream.PeerShutdown == VsockShutdown.Both, "SHUTDOWN(both) after the data");
        guest.PumpUntil(() => guest.Device.ConnectionCount == 0, "the connection to end after the guest's RST");
    }

    [Fact]
    public void A_host_half_close_reaches_the_guest_as_shutdown_send_and_the_reply_still_flows()
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(42);
        var (client, stream, _) = HostConnect(guest, 42);
        using (client)
        {
            client.Send("request"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("request"u8.ToArray(), guest.ReadExactly(stream, 7));
            guest.PumpUntil(() => stream.PeerShutdown == VsockShutdown.Send, "SHUTDOWN(send)");

            guest.Write(stream, "response"u8);
            guest.Shutdown(stream, VsockShutdown.Both);
            Assert.Equal("response"u8.ToArray(), Host(guest, () => ReceiveToEnd(client), "the reply and end of stream"));
        }
    }

    [Fact]
    public void A_hundred_concurrent_streams_echo_intact()
    {
        const int streams = 100;
        const int size = 96 * 1024;
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(7000);
        Task<string>[] clients = Enumerable.Range(0, streams).Select(i => Task.Run(() =>
        {
            using Socket s = ConnectUnix(_socket);
            s.Send("CONNECT 7000\n"u8.ToArray());
            if (ReadLine(s) is not { } ok || !ok.StartsWith("OK "))
            {
                return $"client {i}: no OK";
            }
            byte[] data = RandomBytes(size, 100 + i);
            s.Send(data);
            byte[] echo = ReceiveExactly(s, size);
            int diff = echo.AsSpan().CommonPrefixLength(data);
            return diff == size ? "ok" : $"client {i}: echo differs at byte {diff}";
        })).ToArray();

        // The guest echoes whatever arrives on every accepted stream.
        guest.PumpUntil(() =>
        {
            foreach (GuestStream s in guest.Streams.Where(s => s.State == GuestStreamState.Established && s.Unread.Count > 0).ToList())
            {
                guest.Write(s, guest.Read(s));
            }
            return clients.All(c => c.IsCompleted);
        }, "100 echo clients", TimeSpan.FromSeconds(60));

        Assert.All(clients, c => Assert.Equal("ok", c.GetAwaiter().GetResult()));
        Assert.Equal(streams, guest.Streams.Count());
        Assert.All(guest.Streams, s => Assert.False(s.CreditViolated));
        Assert.Equal(0, guest.Device.Metrics.ProtocolViolations);
    }

    [Fact]
    public async Task In_process_connect_gives_a_stream_without_the_unix_socket()
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(1024);
        Task<Stream> connecting = guest.Device.ConnectAsync(1024);
        guest.PumpUntil(() => connecting.IsCompleted, "the in-process connection");
        using Stream stream = await connecting;
        GuestStream guestSide = guest.Accepted(1024)!;

        stream.Write("agent?"u8);
        Assert.Equal("agent?"u8.ToArray(), guest.ReadExactly(guestSide, 6));
        guest.Write(guestSide, "yes"u8);
        var reply = new byte[3];
        Host(guest, () =>
        {
            stream.ReadExactly(reply);
            return true;
        }, "the reply on the stream");
        Assert.Equal("yes"u8.ToArray(), reply);

        Task<Stream> refused = guest.Device.ConnectAsync(1025);
        guest.PumpUntil(() => refused.IsCompleted, "the refusal");
        var error = await Assert.ThrowsAsync<VsockException>(() => refused);
        Assert.Contains("1025", error.Message);
    }

    [Fact]
    public void A_transport_reset_drops_connections_and_sends_the_event()
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(50);
        var (client, _, _) = HostConnect(guest, 50);
        using (client)
        {
            guest.Device.ResetTransport();
            guest.PumpUntil(() => guest.Events.Contains(0), "the TRANSPORT_RESET event");
            Assert.Empty(Host(guest, () => ReceiveToEnd(client), "the host socket to close"));
        }
        Assert.Equal(0, guest.Device.ConnectionCount);
    }

    [Fact]
    public void A_guest_device_reset_closes_every_host_connection()
    {
        using FakeVsockGuest guest = NewGuest();
        guest.Listen(51);
        var (client, _, _) = HostConnect(guest, 51);
        using (client)
        {
            guest.Driver.Write(MmioRegister.Status, 0);
            Assert.Empty(Host(guest, () => ReceiveToEnd(client), "the host socket to close"));
        }
        Assert.Equal(0, guest.Device.ConnectionCount);
    }

    [Fact]
    public void Packets_for_unknown_connections_are_answered_with_rst()
    {
        using FakeVsockGuest guest = NewGuest();
        var stray = new GuestStream(60_000, 4444, 65536);
        guest.Send(stray, VsockOp.ReadWrite, "lost"u8);
        guest.PumpUntil(() => guest.Received.Any(p => p.Op == VsockOp.Rst && p.DestinationPort == 60_000 && p.SourcePort == 4444), "an RST");
        Assert.Equal(0, guest.Device.ConnectionCount);
    }

    [Fact]
    public void Packets_with_a_spoofed_source_cid_are_dropped()
    {
        using FakeVsockGuest guest = NewGuest();
        using Socket listener = ListenUnix(_socket + "_5002");
        guest.SendRaw(new VsockPacketHeader
        {
            SourceCid = 99,
            DestinationCid = VsockDevice.HostCid,
            SourcePort = 1,
            DestinationPort = 5002,
            Type = VsockPacketHeader.StreamType,
            Op = VsockOp.Request,
            BufferAllocation = 65536,
        }, default);
        Eventually.True(() => guest.Device.Metrics.ProtocolViolations == 1, "the violation to be counted");
        Assert.Equal(0, guest.Device.ConnectionCount);
        Assert.False(listener.Poll(0, SelectMode.SelectRead)); // nothing connected to the host listener
    }

    [Fact]
    public void A_guest_that_posts_no_rx_buffers_leaves_the_host_blocked_and_nothing_buffered()
    {
        using FakeVsockGuest guest = NewGuest();
        using Socket listener = ListenUnix(_socket + "_6003");
        Task<Socket> accepted = listener.AcceptAsync();
        GuestStream stream = guest.Connect(6003, bufferAllocation: 4 << 20);
        using Socket host = Host(guest, () => accepted.GetAwaiter().GetResult(), "accept");
        guest.RefillRx = false;
        byte[] payload = RandomBytes(2 << 20, 4);
        Task sending = Task.Run(() => host.Send(payload));

        FakeQueue rx = guest.Driver.Queues[0];
        guest.PumpUntil(() => rx.UsedIdx == rx.AvailIdx, "every posted RX buffer to be used");
        Assert.True(stream.TotalReceived <= 64 * FakeVsockGuest.RxPayloadBytes);
        Assert.Equal(0, guest.Device.BufferedBytes);
        Assert.False(sending.IsCompleted);

        guest.RefillRx = true;
        Assert.Equal(payload, guest.ReadExactly(stream, payload.Length, TimeSpan.FromSeconds(30)));
    }
}
