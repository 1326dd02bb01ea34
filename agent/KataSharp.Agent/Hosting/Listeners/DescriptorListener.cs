using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting.Listeners;

/// <summary>
/// Accepts with accept4 on a thread of its own (epoll on the listening socket plus an eventfd to stop:
/// shutdown() does not wake a blocked accept on AF_VSOCK), closes what the <see cref="PeerGate"/>
/// refuses (vsock: every peer but the host), then
/// wraps each connected fd in a .NET <see cref="Socket"/>: send/receive on a connected socket need no
/// endpoint, so .NET's async socket engine serves the connection whatever its address family.
/// </summary>
public sealed class DescriptorListener : IConnectionListener
{
    private readonly StreamSocket _listener;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly ILogger _logger;
    private readonly PeerGate? _gate;
    private readonly Channel<Socket> _accepted = Channel.CreateUnbounded<Socket>();
    private readonly Thread _thread;
    private readonly EventFd _stop = EventFd.Create();
    private volatile bool _unbound;

    private DescriptorListener(AgentEndPoint endpoint, StreamSocket listener, SocketConnectionContextFactory contexts, ILogger logger, PeerGate? gate)
    {
        EndPoint = endpoint;
        _listener = listener;
        _contexts = contexts;
        _logger = logger;
        _gate = gate;
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = $"accept {endpoint}" };
        _thread.Start();
    }

    public EndPoint EndPoint { get; }

    /// <summary>Listens on <paramref name="endpoint"/>. A vsock endpoint admits only the host; a unix socket
    /// (tests, manual runs) admits whoever may open its file, unless <paramref name="gate"/> says otherwise.</summary>
    public static DescriptorListener Bind(AgentEndPoint endpoint, SocketConnectionContextFactory contexts, ILogger logger, PeerGate? gate = null)
    {
        ListenAddress address = endpoint.Address;
        StreamSocket listener;
        if (address.VsockPort is uint port)
        {
            listener = StreamSocket.ListenVsock(port, backlog: 128, nonBlocking: true);
            gate ??= new PeerGate(address.ToString(), logger);
        }
        else
        {
            string path = address.UnixPath!;
            if (File.Exists(path))
            {
                File.Delete(path); // a stale socket of an earlier run; the caller chose this path
            }
            listener = StreamSocket.ListenUnix(path, backlog: 128, nonBlocking: true);
        }
        logger.LogInformation("listening on {Address}", address);
        return new DescriptorListener(endpoint, listener, contexts, logger, gate);
    }

    private void AcceptLoop()
    {
        const ulong ListenToken = 1, StopToken = 2;
        try
        {
            using Epoll epoll = Epoll.Create();
            epoll.Add(_listener.Descriptor.Value, EpollEvents.In, ListenToken);
            epoll.Add(_stop.Descriptor.Value, EpollEvents.In, StopToken);
            Span<EpollReady> ready = stackalloc EpollReady[2];
            while (!_unbound)
            {
                epoll.Wait(ready, -1);
                while (!_unbound && _listener.Accept(nonBlocking: true) is StreamSocket connection)
                {
                    if (_gate is not null && !_gate.Admit(connection))
                    {
                        connection.Dispose();
                        continue;
                    }
                    // Hand the fd over to a SafeSocketHandle: from now on .NET owns and closes it.
                    var handle = new SafeSocketHandle(connection.Descriptor.DangerousGetHandle(), ownsHandle: true);
                    connection.Descriptor.SetHandleAsInvalid();
                    _accepted.Writer.TryWrite(new Socket(handle));
                }
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "accept on {EndPoint} failed; no more connections", EndPoint);
        }
        finally
        {
            _accepted.Writer.TryComplete();
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            Socket socket = await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return _contexts.Create(socket);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound = true;
        _stop.Signal();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _unbound = true;
        _stop.Signal();
        _thread.Join();
        _listener.Dispose();
        _stop.Dispose();
        if (EndPoint is AgentEndPoint { Address.UnixPath: string path } && File.Exists(path))
        {
            File.Delete(path);
        }
        while (_accepted.Reader.TryRead(out Socket? socket))
        {
            socket.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
