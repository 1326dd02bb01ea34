using System.Net.Sockets;
using Grpc.Net.Client;

namespace KataSharp.CriProbe.Connection;

/// <summary>
/// A gRPC channel to a CRI server on a unix socket (containerd's main socket): HTTP/2 with prior
/// knowledge to http://localhost, every connection opened by connecting to the socket path.
/// </summary>
internal static class CriChannel
{
    public static GrpcChannel Open(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, ct) => ConnectAsync(socketPath, ct),
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 32 << 20 });
    }

    private static async ValueTask<Stream> ConnectAsync(string path, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ProbeException($"cannot connect to the CRI socket {path}: {e.Message} (is containerd running with its CRI plugin? --socket names another socket)");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
