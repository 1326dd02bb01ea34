using System.Net.Sockets;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Randomized;

/// <summary>
/// Random vsock packets from a hostile guest (any op, type, ports, CIDs, lengths, credit fields, flags),
/// mixed into live connections. The device must not throw, must keep its buffering within the credit
/// bounds, and must still carry a clean connection afterwards.
/// </summary>
public sealed class RandomVsockPacketTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Random_packets_never_break_the_device_or_its_bounds()
    {
        Seeds.Run("vsock-packets", defaultCount: 12, seed =>
        {
            var random = new Random(seed);
            string socket = _files.PathOf($"r{seed}.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socket + "_9000"));
            listener.Listen(64);
            using var guest = new FakeVsockGuest(new VsockOptions(FakeVsockGuest.Cid, socket) { ConnectTimeout = TimeSpan.FromMilliseconds(200) });
            guest.Listen(100);
            uint[] ports = [9000, 100, 1, 0, uint.MaxValue, 40_000, 0x4000_0000]; // the clean connection below uses guest port 50000
            var accepted = new List<Socket>();
            try
            {
                for (int step = 0; step < 400; step++)
                {
                    var header = new VsockPacketHeader
                    {
                        SourceCid = random.Next(10) == 0 ? (ulong)random.NextInt64() : FakeVsockGuest.Cid,
                        DestinationCid = random.Next(10) == 0 ? (ulong)random.Next(5) : 2,
                        SourcePort = ports[random.Next(ports.Length)],
                        DestinationPort = ports[random.Next(ports.Length)],
                        Type = (ushort)(random.Next(8) == 0 ? random.Next(4) : 1),
                        Op = (VsockOp)random.Next(9),
                        Flags = (uint)random.Next(5),
                        BufferAllocation = random.Next(4) == 0 ? (uint)random.Next() : 256 * 1024,
                        ForwardCount = (uint)random.Next(),
                    };
                    int payload = random.Next(4) switch { 0 => 0, 1 => random.Next(65536 + 100), _ => random.Next(256) };
                    header.Length = random.Next(6) == 0 ? (uint)random.Next() : (uint)payload;
                    guest.SendRaw(header, new byte[payload]);
                    guest.Pump();
                    while (listener.Poll(0, SelectMode.SelectRead))
                    {
                        Socket host = listener.Accept();
                        host.Blocking = false;
                        accepted.Add(host);
                    }
                    foreach (Socket host in accepted)
                    {
                        DrainNonBlocking(host);
                    }
                    Assert.True(guest.Device.BufferedBytes <= (long)guest.Device.ConnectionCount * VsockLimits.ConnectionBufferBytes + VsockLimits.MaxPendingHandshakes * VsockLimits.HandshakeLineBytes);
                }
                Assert.Empty(guest.Driver.LoopErrors);
                Assert.False(guest.Device.IsFailed);

                // A clean connection still works. First let the device finish every random packet (a TX chain is
                // returned only after its packet was handled) and take what the random REQUESTs left in the backlog.
                guest.PumpUntil(() => guest.Driver.Queues[1].UsedIdx == guest.Driver.Queues[1].AvailIdx, "the device to consume every packet");
                while (listener.Poll(0, SelectMode.SelectRead))
                {
                    accepted.Add(listener.Accept());
                }
                GuestStream stream = guest.Connect(9000, 65536);
                Assert.Equal(GuestStreamState.Established, stream.State);
                guest.Write(stream, "still alive"u8);
                guest.PumpUntil(() => listener.Poll(0, SelectMode.SelectRead), "the clean connection");
                using Socket last = listener.Accept();
                var reply = new byte[11];
                Task reading = Task.Run(() =>
                {
                    for (int done = 0; done < reply.Length;)
                    {
                        done += last.Receive(reply, done, reply.Length - done, SocketFlags.None);
                    }
                });
                guest.PumpUntil(() => reading.IsCompleted, "the clean data");
                Assert.Equal("still alive"u8.ToArray(), reply);
            }
            finally
            {
                foreach (Socket host in accepted)
                {
                    host.Dispose();
                }
            }
        });
    }

    private static void DrainNonBlocking(Socket socket)
    {
        var buffer = new byte[65536];
        try
        {
            while (socket.Available > 0 && socket.Receive(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
