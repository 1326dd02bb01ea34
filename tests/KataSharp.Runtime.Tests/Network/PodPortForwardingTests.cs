using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KataSharp.Linux.Sockets;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Network;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Shim.Backend.Agent;
using KataSharp.Tests.Shared.Network;
using Xunit;

namespace KataSharp.Runtime.Tests.Network;

/// <summary>
/// Port forwarding's host side against a real network namespace and the kernel's sk_lookup (root): a client in the
/// pod's namespace dials 127.0.0.1:PORT as containerd does, and the test plays the guest behind <c>connectGuest</c>.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class PodPortForwardingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_to_any_loopback_port_reaches_the_guest_with_its_port_and_bytes_both_ways()
    {
        using ScratchNamespace pod = PodWithLoopbackUp();
        var ports = new List<ushort>();
        using PodPortForwarding forwarding = PodPortForwarding.Start(pod.Path, (port, ct) =>
        {
            lock (ports)
            {
                ports.Add(port);
            }
            return Task.FromResult<Stream?>(UppercaseEchoGuest());
        }, RuntimeLog.Null);

        foreach (int port in new[] { 8080, 4321 })
        {
            using Socket client = Dial(pod, IPAddress.Loopback, port);
            client.Send("hello"u8);
            Assert.Equal("HELLO", await ReceiveText(client, 5));
        }
        Assert.Equal([8080, 4321], ports.Select(p => (int)p));
    }

    [Fact]
    public async Task A_port_the_guest_refuses_resets_the_client()
    {
        using ScratchNamespace pod = PodWithLoopbackUp();
        using PodPortForwarding forwarding = PodPortForwarding.Start(pod.Path, (_, _) => Task.FromResult<Stream?>(null), RuntimeLog.Null);

        using Socket client = Dial(pod, IPAddress.Loopback, 9999);
        var e = await Assert.ThrowsAsync<SocketException>(async () => await ReceiveText(client, 1));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
    }

    [Fact]
    public async Task A_guest_that_accepts_and_never_answers_the_handshake_is_given_up_within_the_timeout_leaving_nothing_behind()
    {
        using ScratchNamespace pod = PodWithLoopbackUp();
        var guestEnds = new List<Socket>();
        TimeSpan timeout = TimeSpan.FromMilliseconds(300);
        using PodPortForwarding forwarding = PodPortForwarding.Start(
            pod.Path, (port, ct) => GuestPortForward.ConnectAsync((_, _) => Task.FromResult(SilentGuest(guestEnds)), port, ct),
            RuntimeLog.Null, guestConnectTimeout: timeout);
        try
        {
            var clock = Stopwatch.StartNew();
            using Socket client = Dial(pod, IPAddress.Loopback, 8080);
            var e = await Assert.ThrowsAsync<SocketException>(async () => await ReceiveText(client, 1));
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
            // Well before the 10 s default: the injected bound is the one that ended the wait.
            Assert.True(clock.Elapsed < PodPortForwarding.GuestConnectTimeout, $"the reset came after {clock.Elapsed}");

            // The host closed its end of the guest connection (no descriptor left): the guest read the request, then end of stream.
            Socket guest = Assert.Single(guestEnds);
            Assert.Equal(2, (await FakeGuestConnection.ReceiveUntilEndAsync(guest, Patience)).Length);
            await Eventually.TrueAsync(() => forwarding.Active == 0, "the connection slot freed", Patience);
        }
        finally
        {
            guestEnds.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Only_127_0_0_1_is_steered_and_disposing_detaches_the_program()
    {
        using ScratchNamespace pod = PodWithLoopbackUp();
        PodPortForwarding forwarding = PodPortForwarding.Start(pod.Path, (_, _) => Task.FromResult<Stream?>(UppercaseEchoGuest()), RuntimeLog.Null);
        try
        {
            var other = Assert.Throws<SocketException>(() => Dial(pod, IPAddress.Parse("127.0.0.2"), 8080));
            Assert.Equal(SocketError.ConnectionRefused, other.SocketErrorCode);
        }
        finally
        {
            forwarding.Dispose();
        }
        var after = Assert.Throws<SocketException>(() => Dial(pod, IPAddress.Loopback, 8080));
        Assert.Equal(SocketError.ConnectionRefused, after.SocketErrorCode);
    }

    [Fact]
    public void A_namespace_path_that_does_not_exist_fails_naming_it()
    {
        var e = Assert.Throws<KataSharp.Linux.LinuxException>(() =>
            PodPortForwarding.Start("/run/netns/ks-test-missing", (_, _) => Task.FromResult<Stream?>(null), RuntimeLog.Null));
        Assert.Contains("/run/netns/ks-test-missing", e.Message);
    }

    private static ScratchNamespace PodWithLoopbackUp()
    {
        var pod = new ScratchNamespace();
        pod.Netlink.SetLinkUp(pod.Link("lo").Index, true); // CNI's loopback plugin does this for a pod
        return pod;
    }

    /// <summary>A client socket made in the pod's namespace (as containerd's, after setns) and connected there.</summary>
    private static Socket Dial(ScratchNamespace pod, IPAddress address, int port) => pod.Thread.Invoke(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Patience.TotalMilliseconds };
        try
        {
            socket.Connect(new IPEndPoint(address, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    });

    private static async Task<string> ReceiveText(Socket client, int bytes)
    {
        using var timeout = new CancellationTokenSource(Patience);
        byte[] buffer = new byte[bytes];
        int got = 0;
        while (got < bytes)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }
            got += n;
        }
        return Encoding.ASCII.GetString(buffer, 0, got);
    }

    /// <summary>A guest vsock connection the agent accepted and then never answers: the host's end; the guest's is kept in
    /// <paramref name="guestEnds"/> so the test can see what reached it.</summary>
    private static Stream SilentGuest(List<Socket> guestEnds)
    {
        (Stream host, Socket guest) = FakeGuestConnection.Open();
        lock (guestEnds)
        {
            guestEnds.Add(guest);
        }
        return host;
    }

    /// <summary>The guest end: a socket pair whose far side answers every byte upper-cased until the near side closes.</summary>
    private static Stream UppercaseEchoGuest()
    {
        (StreamSocket near, StreamSocket far) = StreamSocket.CreateUnixPair(nonBlocking: false);
        var guest = new NetworkStream(far.ToDotNetSocket(), ownsSocket: true);
        _ = Task.Run(async () =>
        {
            await using (guest)
            {
                byte[] buffer = new byte[256];
                int n;
                while ((n = await guest.ReadAsync(buffer)) > 0)
                {
                    await guest.WriteAsync(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(buffer, 0, n).ToUpperInvariant()));
                }
            }
        });
        return new NetworkStream(near.ToDotNetSocket(), ownsSocket: true);
    }
}
