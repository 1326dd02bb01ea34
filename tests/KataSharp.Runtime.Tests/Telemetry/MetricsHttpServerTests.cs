using System.Net.Sockets;
using System.Text;
using KataSharp.Runtime.Telemetry;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>The metrics socket's HTTP server: answers GET /metrics, and nobody connected can hold it.</summary>
public sealed class MetricsHttpServerTests : IDisposable
{
    private readonly TempDirectory _dir = new("ks-metrics");

    private string SocketPath => _dir.Combine("metrics.sock");

    private MetricsHttpServer Serve(Func<CancellationToken, Task<string>> render, TimeSpan? readTimeout = null) =>
        new(UnixListener.Bind(SocketPath), render, readTimeout);

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        return socket;
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    [Fact]
    public async Task Get_metrics_is_answered_with_the_text_and_the_socket_is_roots_only()
    {
        await using var server = Serve(_ => Task.FromResult("a_total 1\n"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
        string body = await MetricsHttpClient.GetAsync(new UnixDomainSocketEndPoint(SocketPath), TimeSpan.FromSeconds(30));
        Assert.Equal("a_total 1\n", body);
    }

    [Theory]
    [InlineData("GET /other HTTP/1.1\r\n\r\n", "HTTP/1.1 404 ")]
    [InlineData("POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 ")]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n", "HTTP/1.1 505 ")]
    [InlineData("hello\r\n\r\n", "HTTP/1.1 400 ")]
    public async Task Other_requests_get_a_status_saying_why(string request, string status)
    {
        await using var server = Serve(_ => Task.FromResult("a 1\n"));
        using Socket client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        Assert.StartsWith(status, await ReadToEndAsync(client));
    }

    [Fact]
    public async Task A_request_that_never_ends_is_cut_off_unanswered()
    {
        await using var server = Serve(_ => Task.FromResult("a 1\n"), TimeSpan.FromMilliseconds(300));
        using Socket client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: x\r\n"), SocketFlags.None);
        // The server closes it: the read ends (0 bytes) instead of waiting for the test's own 30 s bound.
        Assert.Equal("", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task An_oversize_request_is_refused()
    {
        await using var server = Serve(_ => Task.FromResult("a 1\n"));
        using Socket client = await ConnectAsync();
        byte[] head = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: " + new string('x', MetricsHttpServer.MaxRequestBytes) + "\r\n\r\n");
        try
        {
            await client.SendAsync(head, SocketFlags.None);
        }
        catch (SocketException)
        {
            // The server may close before it has read it all.
        }
        Assert.StartsWith("HTTP/1.1 431 ", await ReadToEndAsync(client));
    }

    [Fact]
    public async Task Connections_past_the_bound_are_refused_at_once()
    {
        await using var server = Serve(_ => Task.FromResult("a 1\n"), TimeSpan.FromSeconds(30));
        var held = new List<Socket>();
        try
        {
            for (int i = 0; i < MetricsHttpServer.MaxConnections; i++)
            {
                held.Add(await ConnectAsync());
            }
            using Socket extra = await ConnectAsync();
            Assert.StartsWith("HTTP/1.1 503 ", await ReadToEndAsync(extra));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task A_render_that_fails_is_a_500()
    {
        await using var server = Serve(_ => throw new InvalidOperationException("broken"));
        using Socket client = await ConnectAsync();
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.0\r\n\r\n"), SocketFlags.None);
        string answer = await ReadToEndAsync(client);
        Assert.StartsWith("HTTP/1.1 500 ", answer);
        Assert.Contains("broken", answer);
    }

    public void Dispose() => _dir.Dispose();
}
