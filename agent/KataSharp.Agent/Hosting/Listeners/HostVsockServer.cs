using KataSharp.Linux;
using KataSharp.Linux.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting.Listeners;

/// <summary>
/// A guest vsock port served to the host only, beside gRPC (the debug console, port forwarding): a thread accepts,
/// the <see cref="PeerGate"/> closes any peer that is not the host, at most <c>maxConnections</c> are served at once
/// (more are closed and logged), and each admitted connection is served on the thread pool and closed afterwards.
/// </summary>
public sealed class HostVsockServer : IDisposable
{
    private readonly string _what;
    private readonly ILogger _log;
    private readonly StreamSocket _listener;
    private readonly PeerGate _gate;
    private readonly int _maxConnections;
    private readonly Func<StreamSocket, Task> _serve;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private int _active;

    private HostVsockServer(uint port, string what, ILogger log, StreamSocket listener, int maxConnections, Func<StreamSocket, Task> serve)
    {
        _what = what;
        _log = log;
        _listener = listener;
        _maxConnections = maxConnections;
        _serve = serve;
        _gate = new PeerGate($"vsock:{port} ({what})", log);
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = what };
        _thread.Start();
    }

    /// <summary>Listens on <paramref name="port"/>; null (logged) when the port cannot be opened, the agent runs on without it.</summary>
    public static HostVsockServer? Start(uint port, string what, ILogger log, int maxConnections, Func<StreamSocket, Task> serve)
    {
        try
        {
            var listener = StreamSocket.ListenVsock(port, backlog: Math.Min(maxConnections, 16), nonBlocking: false);
            return new HostVsockServer(port, what, log, listener, maxConnections, serve);
        }
        catch (LinuxException e)
        {
            log.LogError("{What} unavailable: {Message}", what, e.Message);
            return null;
        }
    }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            StreamSocket? client;
            try
            {
                client = _listener.Accept(nonBlocking: true);
            }
            catch (LinuxException e)
            {
                if (!_stopping)
                {
                    _log.LogError("{What} accept failed: {Message}", _what, e.Message);
                }
                return;
            }
            if (client is null)
            {
                continue;
            }
            if (!_gate.Admit(client))
            {
                client.Dispose();
                continue;
            }
            if (Interlocked.Increment(ref _active) > _maxConnections)
            {
                Interlocked.Decrement(ref _active);
                _log.LogWarning("{What}: {Max} connections already open; refused one more", _what, _maxConnections);
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(StreamSocket client)
    {
        try
        {
            using (client)
            {
                await _serve(client);
            }
        }
        catch (Exception e) when (e is LinuxException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            _log.LogDebug("{What}: a connection ended with {Message}", _what, e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>Stops accepting (a thread blocked in accept on AF_VSOCK stays blocked until the agent exits: it is a background thread).</summary>
    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
    }
}
