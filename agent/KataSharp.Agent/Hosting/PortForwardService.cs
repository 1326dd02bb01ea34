using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Hosting.Listeners;
using KataSharp.Agent.Protocol;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting;

/// <summary>
/// The guest end of CRI port forwarding (<c>kubectl port-forward</c>): the shim catches containerd's connection to
/// 127.0.0.1:PORT in the pod's network namespace on the host and opens vsock port 1027; here the agent connects to
/// 127.0.0.1:PORT in its own network namespace — the one every container of the pod shares — and copies bytes both
/// ways (the wire rules: <see cref="AgentProtocolConstants.PortForwardPort"/>). Only the host (vsock CID 2) is served
/// (<see cref="HostVsockServer"/>): a container must not reach guest ports through the agent. At most
/// <see cref="MaxConnections"/> at once; each request must arrive within <see cref="RequestTimeout"/>.
/// </summary>
public sealed class PortForwardService : IDisposable
{
    public const int MaxConnections = 64;
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private const int BufferBytes = 32 << 10;

    private readonly FdPoller _poller;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private HostVsockServer? _server;

    private PortForwardService(FdPoller poller, ILogger log)
    {
        _poller = poller;
        _log = log;
    }

    public static PortForwardService? Start(FdPoller poller, ILogger log)
    {
        var service = new PortForwardService(poller, log);
        service._server = HostVsockServer.Start(AgentProtocolConstants.PortForwardPort, "port forwarding", log, MaxConnections, service.ServeAsync);
        return service._server is null ? null : service;
    }

    private async Task ServeAsync(StreamSocket client)
    {
        using var request = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        request.CancelAfter(RequestTimeout);
        byte[] portBytes = new byte[2];
        if (!await ReadExactlyAsync(client.Descriptor, portBytes, request.Token))
        {
            return;
        }
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(portBytes);
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (port == 0)
            {
                throw new SocketException((int)SocketError.AddressNotAvailable);
            }
            await tcp.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), request.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            _log.LogInformation("port forwarding to 127.0.0.1:{Port} refused: {Message}", port, e.Message);
            await FdStreams.WriteAllAsync(_poller, client.Descriptor, new[] { AgentProtocolConstants.PortForwardRefused }, _stopping.Token);
            return;
        }
        if (await FdStreams.WriteAllAsync(_poller, client.Descriptor, new[] { AgentProtocolConstants.PortForwardConnected }, _stopping.Token))
        {
            await CopyBothWaysAsync(client, tcp);
        }
    }

    /// <summary>Until both directions have ended; each end's close is passed on as a half-close of the other side.</summary>
    private async Task CopyBothWaysAsync(StreamSocket vsock, Socket tcp)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        Task hostToGuest = Task.Run(async () =>
        {
            byte[] buffer = new byte[BufferBytes];
            int n;
            while ((n = await FdStreams.ReadAsync(_poller, vsock.Descriptor, buffer, done.Token)) > 0)
            {
                await tcp.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, done.Token);
            }
            tcp.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        });
        Task guestToHost = Task.Run(async () =>
        {
            byte[] buffer = new byte[BufferBytes];
            int n;
            while ((n = await tcp.ReceiveAsync(buffer, SocketFlags.None, done.Token)) > 0)
            {
                if (!await FdStreams.WriteAllAsync(_poller, vsock.Descriptor, buffer.AsMemory(0, n), done.Token))
                {
                    break;
                }
            }
            vsock.Shutdown(KataSharp.Linux.Sockets.SocketShutdown.Send);
        });
        // One side failing (a reset) ends the other: a half-open copy would hold the connection's slot forever.
        Task first = await Task.WhenAny(hostToGuest, guestToHost);
        if (first.IsFaulted)
        {
            done.Cancel();
        }
        try
        {
            await Task.WhenAll(hostToGuest, guestToHost);
        }
        catch (Exception e) when (e is LinuxException or SocketException or OperationCanceledException or IOException)
        {
            done.Cancel();
        }
    }

    private async Task<bool> ReadExactlyAsync(FileDescriptor fd, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int n = await FdStreams.ReadAsync(_poller, fd, buffer, cancellationToken);
            if (n == 0)
            {
                return false;
            }
            buffer = buffer[n..];
        }
        return true;
    }

    /// <summary>Stops accepting and ends every forwarded connection (their tasks still hold the token: it is not disposed).</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _server?.Dispose();
    }
}
