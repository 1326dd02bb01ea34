using System.Net.Sockets;
using System.Text;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Shim.Backend;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>
/// The guest log port as a hostile guest uses it: over a real unix socket, the way the VMM's hybrid
/// vsock forwards guest connections to host port 1025.
/// </summary>
public sealed class GuestLogListenerTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new("ks-guestlog");
    private readonly RecordingLogWriter _sink = new();
    private readonly RuntimeLog _log;
    private int _connected;

    public GuestLogListenerTests()
    {
        _log = new RuntimeLog(_sink, debug: false, "pod-1");
    }

    private string SocketPath => _directory.Combine("vsock.sock_1025");

    private GuestLogListener Start(GuestOutputLimits? limits = null) =>
        GuestLogListener.Start(SocketPath, _log, () => Interlocked.Increment(ref _connected), limits);

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath));
        return socket;
    }

    private Task LoggedAsync(string text) =>
        Eventually.TrueAsync(() => _sink.Text.Contains(text, StringComparison.Ordinal), $"\"{text}\" in the shim log", Deadline);

    [Fact]
    public async Task Agent_lines_keep_their_level_and_anything_else_is_info_and_all_is_escaped()
    {
        _log.UseConfiguredLevel(LogSeverity.Debug);
        using var listener = Start();
        using Socket agent = await ConnectAsync();
        await agent.SendAsync(Encoding.UTF8.GetBytes(
            "12:00:00.000 katasharp-agent warn Agent: disk \u001b[31mred\u0007\n" +
            "12:00:00.001 katasharp-agent debug Rpc: a debug line\n" +
            "12:00:00.002 katasharp-agent error Rpc: it failed\r\n" +
            "12:00:00.003 katasharp-agent bogus Rpc: unknown level\n" +
            "forged \u202eline\n"));
        await LoggedAsync("forged");

        string[] lines = _sink.Lines.Where(l => l.Contains("guest agent:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(5, lines.Length);
        Assert.Contains(@"level=warning msg=""guest agent: Agent: disk \\x1b[31mred\\x07"" sandbox=""pod-1""", lines[0]);
        Assert.Contains(@"level=debug msg=""guest agent: Rpc: a debug line""", lines[1]);
        Assert.Contains(@"level=error msg=""guest agent: Rpc: it failed""", lines[2]);
        Assert.Contains(@"level=info msg=""guest agent: 12:00:00.003 katasharp-agent bogus Rpc: unknown level""", lines[3]);
        Assert.Contains(@"level=info msg=""guest agent: forged \\u202eline""", lines[4]);
        Assert.DoesNotContain(_sink.Text, c => (char.IsControl(c) && c != '\n') || c == '\u202e');
        Assert.Equal(1, Volatile.Read(ref _connected));
    }

    [Fact]
    public async Task A_flood_of_connections_is_closed_at_once_and_counted_while_the_first_is_served()
    {
        using var listener = Start(GuestOutputLimits.Default with { SummaryInterval = TimeSpan.FromMilliseconds(100) });
        using Socket agent = await ConnectAsync();
        await agent.SendAsync("agent first\n"u8.ToArray());
        await LoggedAsync("agent first");

        for (int i = 0; i < 50; i++)
        {
            using Socket extra = await ConnectAsync();
            using var closed = new CancellationTokenSource(Deadline);
            Assert.Equal(0, await extra.ReceiveAsync(new byte[16], SocketFlags.None, closed.Token)); // closed by the listener
        }
        Assert.Equal(50, _log.Drops.RefusedGuestLogConnections);
        await Eventually.TrueAsync(() => RefusalsReported() == 50, "the refusals summed up in summary lines", Deadline);

        await agent.SendAsync("agent still served\n"u8.ToArray());
        await LoggedAsync("agent still served");

        // Once the agent's connection is gone, the port takes a new one.
        agent.Dispose();
        await Eventually.TrueAsync(() => listener.Connections == 0, "the closed connection released", Deadline);
        using Socket reconnected = await ConnectAsync();
        await reconnected.SendAsync("agent again\n"u8.ToArray());
        await LoggedAsync("agent again");
    }

    private long RefusalsReported() => LogCounts.Sum(_sink.Text, "refused {n} connections to the guest log port (at most 1 at once)");

    [Fact]
    public async Task Lines_over_the_rate_are_dropped_counted_and_summed_up_once_per_interval()
    {
        var limits = GuestOutputLimits.Default with { LinesPerSecond = 10, LineBurst = 20, SummaryInterval = TimeSpan.FromMilliseconds(200) };
        using (var listener = Start(limits))
        {
            using Socket agent = await ConnectAsync();
            var started = DateTime.UtcNow;
            var text = new StringBuilder();
            for (int i = 0; i < 1000; i++)
            {
                text.Append("flood ").Append(i).Append('\n');
            }
            await agent.SendAsync(Encoding.ASCII.GetBytes(text.ToString()));
            await Eventually.TrueAsync(() => Logged("flood ") + _log.Drops.RateLimitedGuestLines == 1000, "every line logged or dropped", Deadline);
            double seconds = (DateTime.UtcNow - started).TotalSeconds;

            Assert.InRange(Logged("flood "), 20, 20 + (int)Math.Ceiling(seconds * 10) + 1);
            await Eventually.TrueAsync(() => _sink.Text.Contains("guest log lines (rate limit)", StringComparison.Ordinal), "a summary line", Deadline);
        }
        Assert.True(_log.Flush(Deadline));
        Assert.Equal(_log.Drops.RateLimitedGuestLines, LogCounts.Sum(_sink.Text, "dropped {n} guest log lines (rate limit)"));
    }

    private int Logged(string prefix) => _sink.Lines.Count(l => l.Contains($"guest agent: {prefix}", StringComparison.Ordinal));

    public void Dispose()
    {
        _log.Dispose();
        _sink.Dispose();
        _directory.Dispose();
    }
}

/// <summary>Alone in its collection: it measures the process's allocations, which parallel tests would add to.</summary>
[CollectionDefinition(nameof(GuestLogFloodTests), DisableParallelization = true)]
public sealed class GuestLogFloodCollection
{
}

[Collection(nameof(GuestLogFloodTests))]
public sealed class GuestLogFloodTests
{
    [Fact]
    public async Task Two_hundred_megabytes_without_a_newline_are_cut_to_one_line_and_grow_nothing()
    {
        using var directory = new TempDirectory("ks-guestflood");
        var sink = new RecordingLogWriter();
        using var log = new RuntimeLog(sink, debug: false, "pod-1");
        string path = directory.Combine("vsock.sock_1025");
        using var listener = GuestLogListener.Start(path, log, () => { });
        using var guest = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await guest.ConnectAsync(new UnixDomainSocketEndPoint(path));

        byte[] chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'A');
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int sent = 0; sent < 200 * 1024 * 1024; sent += chunk.Length)
        {
            await guest.SendAsync(chunk);
        }
        await guest.SendAsync("\nafter the flood\n"u8.ToArray());
        await Eventually.TrueAsync(() => sink.Text.Contains("guest agent: after the flood", StringComparison.Ordinal), "the line after the flood", TimeSpan.FromSeconds(120));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        // The old reader built the whole line in memory.
        Assert.True(allocated < 32L * 1024 * 1024, $"the flood allocated {allocated / (1024 * 1024)} MiB");
        Assert.Equal(1, log.Drops.TruncatedGuestLines);
        string cut = Assert.Single(sink.Lines, l => l.Contains("AAAA", StringComparison.Ordinal));
        Assert.Contains($"msg=\"guest agent: {new string('A', 4096)} …[cut at 4096 bytes]\"", cut);
    }
}
