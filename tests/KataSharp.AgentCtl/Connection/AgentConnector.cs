using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;

namespace KataSharp.AgentCtl.Connection;

/// <summary>
/// Opens a gRPC channel to the agent: "unix:/path" (the agent's unix-socket mode) or
/// "hvsock:/path:port" (a VMM's hybrid vsock socket: connect, send "CONNECT port\n", expect "OK ...\n",
/// then the stream is the guest's vsock connection — Firecracker's and Kata's handshake).
/// </summary>
public static class AgentConnector
{
    public static GrpcChannel Open(string address)
    {
        Func<CancellationToken, ValueTask<Stream>> connect = Parse(address);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) => await connect(ct).ConfigureAwait(false),
            EnableMultipleHttp2Connections = false,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        return GrpcChannel.ForAddress("http://agent", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 << 20 });
    }

    private static Func<CancellationToken, ValueTask<Stream>> Parse(string address)
    {
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = address[5..];
            return ct => ConnectUnixAsync(path, ct);
        }
        if (address.StartsWith("hvsock:", StringComparison.Ordinal))
        {
            int colon = address.LastIndexOf(':');
            if (colon > 7 && uint.TryParse(address.AsSpan(colon + 1), out uint port))
            {
                string path = address[7..colon];
                return ct => ConnectHybridVsockAsync(path, port, ct);
            }
        }
        throw new ArgumentException($"agent address '{address}' is neither unix:<path> nor hvsock:<path>:<port>");
    }

    private static async ValueTask<Stream> ConnectUnixAsync(string path, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async ValueTask<Stream> ConnectHybridVsockAsync(string path, uint port, CancellationToken ct)
    {
        Stream stream = await ConnectUnixAsync(path, ct).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {port}\n"), ct).ConfigureAwait(false);
            // Read the reply byte by byte: anything after the newline already belongs to HTTP/2.
            var line = new StringBuilder();
            byte[] one = new byte[1];
            while (true)
            {
                if (await stream.ReadAsync(one, ct).ConfigureAwait(false) == 0)
                {
                    throw new IOException($"{path}: the VMM closed the connection during CONNECT {port} (is the guest listening on that port?)");
                }
                if (one[0] == '\n')
                {
                    break;
                }
                if (line.Length > 64)
                {
                    throw new IOException($"{path}: no newline in the CONNECT reply '{line}'");
                }
                line.Append((char)one[0]);
            }
            if (!line.ToString().StartsWith("OK", StringComparison.Ordinal))
            {
                throw new IOException($"{path}: CONNECT {port} answered '{line}'");
            }
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
