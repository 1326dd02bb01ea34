using System.Net.Sockets;
using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Shim.Backend.Agent;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>
/// The host end of the port-forwarding handshake against a hostile guest (a socket pair plays the agent's vsock
/// connection, as the VMM's muxer hands one over): it waits no longer than its token allows, reads the guest's one
/// answer byte and nothing more, and closes what it gave up on.
/// </summary>
public sealed class GuestPortForwardTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_guest_that_never_answers_is_given_up_when_the_token_ends_and_sees_its_connection_closed()
    {
        (Stream host, Socket guest) = FakeGuestConnection.Open();
        using (guest)
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GuestPortForward.ConnectAsync((_, _) => Task.FromResult(host), 8080, bound.Token));

            byte[] received = await FakeGuestConnection.ReceiveUntilEndAsync(guest, Patience);
            Assert.Equal(new byte[] { 0x1f, 0x90 }, received); // the port, big-endian, then end of stream: the host closed its end
        }
    }

    [Fact]
    public async Task A_refusal_followed_by_an_endless_stream_is_not_read_on_the_host_closes_the_connection()
    {
        (Stream host, Socket guest) = FakeGuestConnection.Open();
        using (guest)
        {
            // The guest's writer runs until the host's end is gone; were the host reading on, it would never stop.
            Task flood = Task.Run(async () =>
            {
                await guest.SendAsync(new[] { AgentProtocolConstants.PortForwardRefused }, SocketFlags.None);
                byte[] chunk = new byte[64 << 10];
                while (true)
                {
                    await guest.SendAsync(chunk, SocketFlags.None);
                }
            });
            using var bound = new CancellationTokenSource(Patience);
            Assert.Null(await GuestPortForward.ConnectAsync((_, _) => Task.FromResult(host), 8080, bound.Token));

            var e = await Assert.ThrowsAsync<SocketException>(() => flood.WaitAsync(Patience));
            Assert.Contains(e.SocketErrorCode, new[] { SocketError.Shutdown, SocketError.ConnectionReset, SocketError.ConnectionAborted });
        }
    }

    [Fact]
    public async Task The_handshake_reads_one_byte_and_leaves_what_follows_to_the_forwarded_stream()
    {
        (Stream host, Socket guest) = FakeGuestConnection.Open();
        using (guest)
        {
            byte[] payload = new byte[1 << 20];
            Random.Shared.NextBytes(payload);
            // Sent before the handshake is read: a guest answering "connected" and a megabyte at once.
            Task send = Task.Run(async () =>
            {
                await guest.SendAsync(new[] { AgentProtocolConstants.PortForwardConnected }, SocketFlags.None);
                await guest.SendAsync(payload, SocketFlags.None);
                guest.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            });
            using var bound = new CancellationTokenSource(Patience);
            Stream? forwarded = await GuestPortForward.ConnectAsync((_, _) => Task.FromResult(host), 8080, bound.Token);
            Assert.NotNull(forwarded);
            await using (forwarded)
            {
                var rest = new MemoryStream();
                await forwarded.CopyToAsync(rest, bound.Token);
                Assert.Equal(payload, rest.ToArray());
            }
            await send.WaitAsync(Patience);
        }
    }
}
