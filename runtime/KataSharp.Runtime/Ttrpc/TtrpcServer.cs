using System.Collections.Concurrent;
using System.Net.Sockets;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// Serves a <see cref="TtrpcServiceRegistry"/> on a listening unix socket. containerd opens one
/// connection per task, so a shim shared by a pod holds many connections at once.
/// </summary>
public sealed class TtrpcServer : IAsyncDisposable
{
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    private readonly Socket _listener;
    private readonly TtrpcServiceRegistry _registry;
    private readonly ITtrpcErrorTranslator _errors;
    private readonly Func<PeerCredentials, bool> _acceptPeer;
    private readonly ConcurrentDictionary<TtrpcServerConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="listener">A bound, listening unix stream socket; the server owns it from now on.</param>
    /// <param name="acceptPeer">Decides from SO_PEERCRED whether a connection is served.</param>
    public TtrpcServer(Socket listener, TtrpcServiceRegistry registry, ITtrpcErrorTranslator errors, Func<PeerCredentials, bool> acceptPeer)
    {
        _listener = listener;
        _registry = registry;
        _errors = errors;
        _acceptPeer = acceptPeer;
    }

    public int ConnectionCount => _connections.Count;

    /// <summary>Accepts connections until <see cref="StopAsync"/>.</summary>
    public async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }
            if (!IsAccepted(client))
            {
                client.Dispose();
                continue;
            }
            var connection = new TtrpcServerConnection(new NetworkStream(client, ownsSocket: true), _registry, _errors);
            _connections[connection] = Task.Run(async () =>
            {
                await connection.RunAsync();
                await connection.CloseAsync();
                _connections.TryRemove(connection, out _);
            });
        }
    }

    /// <summary>Stops accepting, lets running calls finish their replies (bounded), closes every connection.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        foreach (var connection in _connections.Keys)
        {
            await connection.DrainAsync(DrainLimit);
            await connection.CloseAsync();
        }
        await Task.WhenAll(_connections.Values);
    }

    private bool IsAccepted(Socket client)
    {
        try
        {
            return _acceptPeer(PeerCredentials.Of(client));
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stopping.Dispose();
    }
}
