using System.Runtime.InteropServices;
using KataSharp.Linux.Events;
using KataSharp.Linux.Sockets;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using KataSharp.Vmm.Virtio.Queue;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Hostile;

/// <summary>
/// A guest whose RX buffers have room for a packet header and nothing else, while the host has data for
/// it (issue 10, item 3). The old code looped forever on the event loop thread holding the device lock:
/// each step here runs with a deadline so that bug fails the test instead of hanging the run.
/// </summary>
public sealed class VsockHeaderOnlyRxTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task A_header_only_rx_chain_with_data_pending_is_returned_unused_and_the_device_stays_responsive()
    {
        var guest = new FakeVsockGuest(new VsockOptions(FakeVsockGuest.Cid, _files.PathOf("v.sock")), queueSize: 4);
        Exception? failure = null;
        try
        {
            guest.Listen(1024);
            Task<Stream> connecting = guest.Device.ConnectAsync(1024);
            guest.PumpUntil(() => connecting.IsCompleted, "the in-process connection");
            using Stream host = await connecting;
            GuestStream stream = guest.Accepted(1024)!;

            // From now on the guest posts header-only buffers; use up the full-size ones it posted before.
            guest.RxBufferPayloadBytes = 0;
            byte[] filler = new byte[4 * FakeVsockGuest.RxPayloadBytes];
            host.Write(filler);
            Assert.Equal(filler, guest.ReadExactly(stream, filler.Length));

            host.Write("pending"u8);
            guest.PumpUntil(() => guest.DroppedRx >= 4, "header-only RX buffers to come back unused");

            Assert.Equal(1, Bounded.Run(() => guest.Device.ConnectionCount, "taking the vsock device lock"));
            Bounded.Run(() => guest.Driver.Loop.Invoke(() => { }), "a turn of the event loop");
            Assert.Contains("room for a packet header only", guest.Device.GuestErrors.Last);
            Assert.False(guest.Device.IsFailed);

            // A guest that posts proper buffers again gets the data.
            guest.RxBufferPayloadBytes = FakeVsockGuest.RxPayloadBytes;
            Assert.Equal("pending"u8.ToArray(), guest.ReadExactly(stream, 7));
            Assert.Empty(guest.Driver.LoopErrors);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            Bounded.Cleanup(guest.Dispose, "disposing the vsock device", failure);
        }
    }

    [Fact]
    public void A_connection_asked_to_fill_a_header_only_buffer_with_data_pending_returns_at_once()
    {
        using var chains = new TestChains();
        var (ours, theirs) = StreamSocket.CreateUnixPair();
        using (theirs)
        using (ours)
        {
            var connection = new VsockConnection(ours, localPort: 1024, peerPort: 50_000, FakeVsockGuest.Cid, VsockConnectionState.PeerInit);
            connection.ApplyPeerCredit(new VsockPacketHeader { BufferAllocation = 65536 });
            var metrics = new VsockMetrics();
            Assert.True(connection.TryWriteNext(chains.Writable(VsockPacketHeader.Size, out _).Writer, metrics)); // the RESPONSE
            Assert.Equal(VsockConnectionState.Established, connection.State);
            theirs.SendAll("data"u8);
            connection.OnHostEvents(EpollEvents.In);

            ChainWriter headerOnly = chains.Writable(VsockPacketHeader.Size, out _).Writer;
            Assert.False(Bounded.Run(() => connection.TryWriteNext(headerOnly, metrics), "TryWriteNext into a header-only buffer"));
            Assert.Equal(0UL, headerOnly.BytesWritten);
            Assert.True((connection.Pending & VsockPendingRx.Data) != 0, "the data must stay due");

            ChainWriter room = chains.Writable(VsockPacketHeader.Size + 64, out GuestAddress at).Writer;
            Assert.True(connection.TryWriteNext(room, metrics));
            VsockPacketHeader packet = chains.Memory.Read<VsockPacketHeader>(at);
            Assert.Equal((VsockOp.ReadWrite, 4u), (packet.Op, packet.Length));
            Assert.Equal("data"u8.ToArray(), chains.Memory.GetSpan(at.Add(VsockPacketHeader.Size), 4).ToArray());
        }
    }

    [Fact]
    public async Task The_muxer_tries_each_pending_connection_once_per_buffer()
    {
        using var chains = new TestChains();
        var sync = new object();
        var loopErrors = new List<Exception>();
        var loop = new EventLoop("muxer-test", loopErrors.Add);
        var muxer = new VsockMuxer(sync, loop, new VsockOptions(FakeVsockGuest.Cid, SocketPath: null), new VsockMetrics(), new GuestErrorLog("vsock", _ => { }), () => { });
        Exception? failure = null;
        try
        {
            Task<Stream> connecting = muxer.ConnectAsync(1024);
            Eventually.True(() => OnLoop(loop, sync, () => muxer.HasPendingRx), "the REQUEST to be due");
            DescriptorChain requestChain = chains.Writable(VsockPacketHeader.Size, out GuestAddress requestAt);
            Assert.True(OnLoop(loop, sync, () => muxer.TryFillRx(requestChain.Writer)));
            VsockPacketHeader request = chains.Memory.Read<VsockPacketHeader>(requestAt);
            Assert.Equal(VsockOp.Request, request.Op);

            var response = new VsockPacketHeader
            {
                SourceCid = FakeVsockGuest.Cid,
                DestinationCid = VsockDevice.HostCid,
                SourcePort = request.DestinationPort,
                DestinationPort = request.SourcePort,
                Type = VsockPacketHeader.StreamType,
                Op = VsockOp.Response,
                BufferAllocation = 65536,
            };
            ChainReader reader = chains.Readable(MemoryMarshal.AsBytes(new ReadOnlySpan<VsockPacketHeader>(in response))).Reader;
            Assert.True(reader.TryRead(out VsockPacketHeader header));
            OnLoop(loop, sync, () =>
            {
                muxer.OnGuestPacket(header, reader, FakeVsockGuest.Cid);
                return true;
            });
            using Stream stream = await connecting.WaitAsync(Eventually.DefaultTimeout);
            stream.Write("data"u8);
            Eventually.True(() => OnLoop(loop, sync, () => muxer.HasPendingRx), "the host data to be due");

            ChainWriter headerOnly = chains.Writable(VsockPacketHeader.Size, out _).Writer;
            Assert.False(Bounded.Run(() => OnLoop(loop, sync, () => muxer.TryFillRx(headerOnly)), "TryFillRx into a header-only buffer"));
            Assert.True(OnLoop(loop, sync, () => muxer.HasPendingRx), "the data must stay due");
            Assert.Empty(loopErrors);
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            Bounded.Cleanup(muxer.Dispose, "disposing the muxer", failure);
            Bounded.Cleanup(loop.Dispose, "stopping the event loop", failure);
        }
    }

    /// <summary>Runs muxer code where the device runs it: on the loop thread with the device lock held (the muxer
    /// changes epoll registrations, which from another thread would wait for a loop that waits for the lock).</summary>
    private static T OnLoop<T>(EventLoop loop, object sync, Func<T> body)
    {
        T result = default!;
        loop.Invoke(() =>
        {
            lock (sync)
            {
                result = body();
            }
        });
        return result;
    }
}
