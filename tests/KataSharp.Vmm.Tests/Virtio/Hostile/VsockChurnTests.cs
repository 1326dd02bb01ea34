using System.Net.Sockets;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Hostile;

/// <summary>A guest that opens and resets streams over and over without ever posting an RX buffer.</summary>
public sealed class VsockChurnTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Streams_reset_before_their_answer_was_delivered_leave_nothing_behind()
    {
        string socket = _files.PathOf("v.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socket + "_7000"));
        listener.Listen(256);
        using var guest = new FakeVsockGuest(new VsockOptions(FakeVsockGuest.Cid, socket));
        // Use up the RX buffers the guest posted at start and post no more: nothing the device owes the guest
        // can be delivered from now on.
        guest.RefillRx = false;
        FakeQueue rx = guest.Driver.Queues[0];
        for (uint port = 1; rx.UsedIdx != rx.AvailIdx; port++)
        {
            guest.Send(new GuestStream(40_000 + port, 1, 65536), VsockOp.ReadWrite); // answered with an RST each
            guest.Pump();
        }

        for (uint i = 0; i < 100; i++)
        {
            var stream = new GuestStream(60_000 + i, 7000, 65536);
            guest.Send(stream, VsockOp.Request); // the device connects to the listener and owes a RESPONSE...
            guest.Send(stream, VsockOp.Rst);     // ...that the guest no longer wants
            while (listener.Poll(0, SelectMode.SelectRead))
            {
                listener.Accept().Dispose();
            }
        }
        Eventually.True(() => guest.Driver.Queues[1].UsedIdx == guest.Driver.Queues[1].AvailIdx, "every packet to be handled");

        lock (guest.Device.Sync)
        {
            Assert.Equal(0, guest.Device.Muxer.ConnectionCount);
            Assert.Equal(0, guest.Device.Muxer.RxQueueLength);
        }
    }
}
