using System.Net;
using System.Net.Sockets;
using KataSharp.Linux;
using KataSharp.Linux.Bpf;
using KataSharp.Linux.Namespaces;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Network;

/// <summary>
/// CRI port forwarding (<c>kubectl port-forward</c>) for a pod whose servers run in a VM. containerd 1.6 forwards a port
/// by dialling 127.0.0.1:PORT from inside the pod's network namespace on the host, where nothing listens: the pod's
/// address and servers are in the guest, behind the tap (Kata has this gap). Here one listening socket in that
/// namespace receives every such connection, whatever the port — an sk_lookup program attached to the namespace steers
/// them to it (<see cref="LoopbackSteering"/>) — and each connection is carried to the guest through
/// <c>connectGuest</c> (the agent's port-forwarding vsock port, which connects to 127.0.0.1:PORT in the pod's
/// guest namespace). Bounded: at most <see cref="MaxConnections"/> at once (more are reset), fixed buffers, and a
/// guest that does not answer within the guest connect timeout (<see cref="GuestConnectTimeout"/> unless the caller
/// gives one) gets the connection reset.
/// </summary>
public sealed class PodPortForwarding : IDisposable
{
    public const int MaxConnections = 32;

    /// <summary>The default bound on connecting to the guest, its handshake answer included.</summary>
    public static readonly TimeSpan GuestConnectTimeout = TimeSpan.FromSeconds(10);
    private const int BufferBytes = 32 << 10;

    /// <summary>After the client stopped sending, how long the guest's answer may still take (the guest stream has no
    /// half-close to tell its server, so a server waiting for more would hold the slot for ever).</summary>
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly LoopbackSteering _steering;
    private readonly Func<ushort, CancellationToken, Task<Stream?>> _connectGuest;
    private readonly RuntimeLog _log;
    private readonly TimeSpan _guestConnectTimeout;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private int _active;

    private PodPortForwarding(
        Socket listener, LoopbackSteering steering, Func<ushort, CancellationToken, Task<Stream?>> connectGuest, RuntimeLog log,
        TimeSpan guestConnectTimeout)
    {
        _listener = listener;
        _steering = steering;
        _connectGuest = connectGuest;
        _log = log;
        _guestConnectTimeout = guestConnectTimeout;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Connections being forwarded now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>
    /// Starts forwarding for the network namespace at <paramref name="namespacePath"/>. <paramref name="connectGuest"/>
    /// opens a stream to 127.0.0.1:PORT in the guest, or returns null when the guest refused; its token is cancelled
    /// after <paramref name="guestConnectTimeout"/> (default <see cref="GuestConnectTimeout"/>). Throws a
    /// <see cref="LinuxException"/> when the kernel cannot steer (no sk_lookup: Linux before 5.9, or no CAP_BPF), a
    /// <see cref="SocketException"/> when the namespace's loopback is down (CNI's loopback plugin brings it up; without it
    /// containerd's dial could not work either).
    /// </summary>
    public static PodPortForwarding Start(
        string namespacePath, Func<ushort, CancellationToken, Task<Stream?>> connectGuest, RuntimeLog log, TimeSpan? guestConnectTimeout = null)
    {
        TimeSpan timeout = guestConnectTimeout ?? GuestConnectTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(guestConnectTimeout));
        using NetworkNamespace target = NetworkNamespace.Open(namespacePath);
        // The listener must belong to the pod's namespace (sk_lookup assigns only sockets of the connection's own).
        Socket listener;
        using (NetworkNamespaceThread thread = NetworkNamespaceThread.Start(target, "pod-netns-forward"))
        {
            listener = thread.Invoke(() =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    socket.Listen(MaxConnections);
                    return socket;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            });
        }
        try
        {
            LoopbackSteering steering = LoopbackSteering.Attach(target, (int)listener.Handle);
            return new PodPortForwarding(listener, steering, connectGuest, log, timeout);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Interlocked.Increment(ref _active) > MaxConnections)
            {
                Interlocked.Decrement(ref _active);
                _log.Warn($"port forwarding: {MaxConnections} connections already open; one more was reset");
                Reset(connection);
                continue;
            }
            _ = ForwardAsync(connection);
        }
    }

    private async Task ForwardAsync(Socket connection)
    {
        try
        {
            // The port containerd asked for: the connection was steered here, so its local address is the one dialled.
            ushort port = (ushort)((IPEndPoint)connection.LocalEndPoint!).Port;
            Stream? guest;
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                connect.CancelAfter(_guestConnectTimeout);
                try
                {
                    guest = await _connectGuest(port, connect.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or RuntimeException)
                {
                    _log.Info($"port forwarding to guest port {port} failed: {e.Message}");
                    guest = null;
                }
            }
            if (guest is null)
            {
                _log.Debug($"port forwarding: nothing answers on 127.0.0.1:{port} in the guest");
                Reset(connection); // what a closed port does to the client: a reset, not a silent close
                return;
            }
            await using (guest)
            using (connection)
            {
                await CopyBothWaysAsync(connection, guest);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            connection.Dispose();
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>
    /// Both directions until the guest's side ends (its server closed, or the guest's stream failed: the client then
    /// sees its end of stream), or until <see cref="AnswerGrace"/> after the client stopped sending.
    /// </summary>
    private async Task CopyBothWaysAsync(Socket connection, Stream guest)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        Task toGuest = Task.Run(async () =>
        {
            byte[] buffer = new byte[BufferBytes];
            int n;
            while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None, done.Token)) > 0)
            {
                await guest.WriteAsync(buffer.AsMemory(0, n), done.Token);
                await guest.FlushAsync(done.Token);
            }
        });
        Task fromGuest = Task.Run(async () =>
        {
            byte[] buffer = new byte[BufferBytes];
            int n;
            while ((n = await guest.ReadAsync(buffer, done.Token)) > 0)
            {
                await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, done.Token);
            }
            connection.Shutdown(SocketShutdown.Send);
        });
        Task first = await Task.WhenAny(toGuest, fromGuest);
        if (first == fromGuest || first.IsFaulted)
        {
            done.Cancel();
        }
        else
        {
            done.CancelAfter(AnswerGrace);
        }
        try
        {
            await Task.WhenAll(toGuest, fromGuest);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // One side ended the pair.
        }
    }

    private static void Reset(Socket connection)
    {
        try
        {
            connection.LingerState = new LingerOption(true, 0); // close sends RST
        }
        catch (SocketException)
        {
            // already gone
        }
        connection.Dispose();
    }

    /// <summary>Detaches the steering (new connections to 127.0.0.1 in the namespace are refused again), stops
    /// accepting and ends the connections being forwarded.</summary>
    public void Dispose()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        _steering.Dispose();
        _listener.Dispose();
        _acceptLoop.Wait(TimeSpan.FromSeconds(5));
    }
}
