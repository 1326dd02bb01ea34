using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KataSharp.Runtime.Telemetry;

/// <summary>`GET /metrics` over one connection (a shim's metrics.sock), bounded in time and size: a shim that hangs or
/// talks without end must not hold `katasharp metrics` or the monitor.</summary>
public static class MetricsHttpClient
{
    public const int MaxResponseBytes = 4 * 1024 * 1024;

    /// <exception cref="IOException">No answer within <paramref name="timeout"/>, an answer too long, or not a 200.</exception>
    public static async Task<string> GetAsync(EndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        var response = new MemoryStream();
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), SocketFlags.None, deadline.Token);
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            {
                if (response.Length + n > MaxResponseBytes)
                {
                    throw new IOException($"the answer is longer than {MaxResponseBytes} bytes");
                }
                response.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
        string text = Encoding.UTF8.GetString(response.GetBuffer(), 0, (int)response.Length);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string statusLine = text.Split("\r\n")[0];
        if (end < 0 || !statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            throw new IOException("the answer is not HTTP");
        }
        if (statusLine.Split(' ') is not [_, "200", ..])
        {
            throw new IOException($"the answer is '{Logging.UntrustedText.Escape(statusLine, 128)}'");
        }
        return text[(end + 4)..];
    }
}
