using System.Net.Sockets;
using System.Text;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// The smallest HTTP/1.x server that answers `GET /metrics` (the shim's metrics.sock, `katasharp monitor --listen`): one
/// request per connection, answered and closed. Bounded because anyone allowed to connect could otherwise hold it: a request
/// head of at most <see cref="MaxRequestBytes"/> (else 431), read within <see cref="ReadTimeout"/> (else the connection is
/// closed unanswered), at most <see cref="MaxConnections"/> at once (further ones get 503 at once). No ASP.NET: the shim is
/// NativeAOT and nothing else in it needs a web stack.
/// </summary>
public sealed class MetricsHttpServer : IAsyncDisposable
{
    public const int MaxRequestBytes = 8 * 1024;
    public const int MaxConnections = 4;

    private readonly Socket _listener;
    private readonly Func<CancellationToken, Task<string>> _render;
    private readonly SemaphoreSlim _slots = new(MaxConnections, MaxConnections);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="listener">A bound, listening socket (owned from here).</param>
    /// <param name="render">The exposition text, made at each request.</param>
    public MetricsHttpServer(Socket listener, Func<CancellationToken, Task<string>> render, TimeSpan? readTimeout = null)
    {
        _listener = listener;
        _render = render;
        ReadTimeout = readTimeout ?? TimeSpan.FromSeconds(5);
        _accepting = Task.Run(AcceptAsync);
    }

    public TimeSpan ReadTimeout { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (!_slots.Wait(0))
            {
                _ = RefuseAsync(connection);
                continue;
            }
            _ = ServeAsync(connection);
        }
    }

    private static async Task RefuseAsync(Socket connection)
    {
        using (connection)
        {
            await TrySendAsync(connection, Response(503, "Service Unavailable", "too many connections\n", "text/plain"));
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        try
        {
            using (connection)
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                deadline.CancelAfter(ReadTimeout);
                string? head = await ReadHeadAsync(connection, deadline.Token);
                byte[] answer;
                if (head is null)
                {
                    answer = Response(431, "Request Header Fields Too Large", $"a request is at most {MaxRequestBytes} bytes\n", "text/plain");
                }
                else
                {
                    string[] requestLine = head.Split('\n')[0].TrimEnd('\r').Split(' ');
                    answer = requestLine switch
                    {
                        [_, _, var version] when !version.StartsWith("HTTP/1.", StringComparison.Ordinal) =>
                            Response(505, "HTTP Version Not Supported", "HTTP/1.x only\n", "text/plain"),
                        ["GET", "/metrics", _] => await RenderAsync(),
                        ["GET", _, _] => Response(404, "Not Found", "only /metrics is here\n", "text/plain"),
                        [_, _, _] => Response(405, "Method Not Allowed", "only GET\n", "text/plain"),
                        _ => Response(400, "Bad Request", "not an HTTP request line\n", "text/plain"),
                    };
                }
                await TrySendAsync(connection, answer);
                if (head is null)
                {
                    await DrainAsync(connection, deadline.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
        {
            // A request that did not come within the read timeout, or a client gone: closed unanswered.
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<byte[]> RenderAsync()
    {
        try
        {
            return Response(200, "OK", await _render(_stop.Token), PrometheusTextWriter.ContentType);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever went wrong making the text, the scraper gets a status, not a dropped connection.
            return Response(500, "Internal Server Error", $"cannot render the metrics: {Logging.UntrustedText.Escape(e.Message, 256)}\n", "text/plain");
        }
    }

    /// <summary>The request head (up to its blank line), or null when it is longer than <see cref="MaxRequestBytes"/>.</summary>
    private static async Task<string?> ReadHeadAsync(Socket connection, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                return null;
            }
            int n = await connection.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new IOException("the client closed the connection before the end of its request");
            }
            length += n;
            string text = Encoding.ASCII.GetString(buffer, 0, length);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal) || text.Contains("\n\n", StringComparison.Ordinal))
            {
                return text;
            }
        }
    }

    /// <summary>After a 431 the rest of the request is read and dropped (at most <see cref="MaxDrainBytes"/>, within the read
    /// timeout): closing a unix socket with unread data resets it, and the client would lose the answer.</summary>
    private static async Task DrainAsync(Socket connection, CancellationToken cancellationToken)
    {
        connection.Shutdown(SocketShutdown.Send);
        byte[] buffer = new byte[4096];
        int drained = 0, n;
        while (drained < MaxDrainBytes && (n = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            drained += n;
        }
    }

    private const int MaxDrainBytes = 64 * 1024;

    private static byte[] Response(int status, string reason, string body, string contentType)
    {
        byte[] content = Encoding.UTF8.GetBytes(body);
        byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n");
        return [.. head, .. content];
    }

    private static async Task TrySendAsync(Socket connection, byte[] answer)
    {
        try
        {
            await connection.SendAsync(answer, SocketFlags.None);
        }
        catch (SocketException)
        {
            // The client left.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        // Requests in hand end within the read timeout (their reads and the render see the cancellation): wait for them so
        // none renders from sources disposed after this.
        for (int i = 0; i < MaxConnections; i++)
        {
            await _slots.WaitAsync(ReadTimeout);
        }
    }
}
