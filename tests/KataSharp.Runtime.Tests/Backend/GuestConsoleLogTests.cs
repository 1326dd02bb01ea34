using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Shim.Backend;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

public sealed class GuestConsoleLogTests
{
    /// <summary>No rate limit in the way: these tests are about the log and the line bounds.</summary>
    private static readonly GuestOutputLimits Unlimited = GuestOutputLimits.Default with
    {
        LinesPerSecond = 1_000_000,
        LineBurst = 1_000_000,
        BytesPerSecond = 1_000_000_000,
        ByteBurst = 1_000_000_000,
    };

    [Fact]
    public async Task A_log_FIFO_nobody_reads_does_not_stall_the_vcpu_writing_the_console()
    {
        using var directory = new TempDirectory("ks-consolefifo");
        string path = directory.Combine("log");
        Fifo.Create(path);
        // containerd holds the FIFO open read-write (so the shim's open does not block) and here never reads.
        using var containerd = FileDescriptor.Open(path, (int)OpenFlags.ReadWrite);
        using var shimEnd = FileDescriptor.Open(path, (int)OpenFlags.WriteOnly);
        using var log = new RuntimeLog(new DescriptorWriter(shimEnd), debug: false, "pod-1", queueCapacityChars: 64 * 1024);
        // Disposed at the end, not by `using`: with a log that blocks (the old shared lock) disposing
        // would flush the partial line into the stuck log and hang the test instead of failing it.
        var console = new GuestConsoleLog(log, Unlimited);

        // 1000 lines of 1000 bytes, one byte per call as the UART hands them over: far more than a
        // pipe (64 KiB) and the log queue hold. The old shared lock blocked here for good.
        byte[] line = Encoding.ASCII.GetBytes(new string('x', 999) + "\n");
        await Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                foreach (byte b in line)
                {
                    console.WriteByte(b);
                }
            }
        }).WaitAsync(TimeSpan.FromSeconds(30));
        long dropped = log.Drops.DroppedLogRecords;
        Assert.InRange(dropped, 500, 1000);

        // containerd reads again: what was queued arrives, then how many records were dropped.
        using var reader = FileDescriptor.Open(path, (int)(OpenFlags.ReadOnly | OpenFlags.NonBlocking));
        var received = new StringBuilder();
        byte[] buffer = new byte[64 * 1024];
        await Eventually.TrueAsync(() =>
        {
            int n;
            while ((n = reader.TryRead(buffer)) > 0)
            {
                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            return LogCounts.Sum(received.ToString(), "dropped {n} log records: the log's reader (containerd) was too slow") == dropped && Written(received.ToString()) + dropped == 1000;
        }, "every queued line and every drop reported in the FIFO", TimeSpan.FromSeconds(30));
        console.Dispose();
    }

    [Fact]
    public void Console_lines_are_cut_counted_and_escaped()
    {
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        using (var console = new GuestConsoleLog(log, Unlimited with { MaxLineBytes = 64 }))
        {
            console.Write(Encoding.ASCII.GetBytes("\u001b]0;title\u0007\u001b[2Jcleared\n"));
            console.Write(Encoding.ASCII.GetBytes(new string('y', 10_000) + "\nafter\n"));
        }
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(@"msg=""guest console: \\x1b]0;title\\x07\\x1b[2Jcleared""", lines[0]);
        Assert.Contains($"msg=\"guest console: {new string('y', 64)} …[cut at 64 bytes]\"", lines[1]);
        Assert.Contains("msg=\"guest console: after\"", lines[2]);
        Assert.Equal(1, log.Drops.TruncatedGuestLines);
        Assert.DoesNotContain(output.ToString(), c => char.IsControl(c) && c != '\n');
    }

    [Fact]
    public void A_chatty_console_is_rate_limited_and_summed_up()
    {
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        var started = DateTime.UtcNow;
        double seconds;
        using (var console = new GuestConsoleLog(log, GuestOutputLimits.Default with { LinesPerSecond = 10, LineBurst = 5 }))
        {
            for (int i = 0; i < 100; i++)
            {
                console.Write(Encoding.ASCII.GetBytes($"line {i}\n"));
            }
            seconds = (DateTime.UtcNow - started).TotalSeconds;
        }
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        long dropped = log.Drops.RateLimitedGuestLines;
        int logged = output.ToString().Split('\n').Count(l => l.Contains("guest console: line ", StringComparison.Ordinal));
        Assert.Equal(100, logged + dropped);
        Assert.InRange(logged, 5, 5 + (int)Math.Ceiling(seconds * 10) + 1);
        Assert.Contains($"msg=\"dropped {dropped} guest console lines (rate limit)\"", output.ToString()); // reported when the console closes
    }

    [Fact]
    public void Every_console_line_reaches_the_console_file_whatever_the_logs_level_and_rate_limit_let_through()
    {
        using var directory = new TempDirectory("ks-consolelog");
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        var file = new GuestConsoleFile(directory.Path, 1 << 20, GuestOutputLimits.Default.MaxLineBytes, log.Drops);
        using (var console = new GuestConsoleLog(log, GuestOutputLimits.Default with { LinesPerSecond = 10, LineBurst = 5 }, file))
        {
            for (int i = 0; i < 50; i++)
            {
                console.Write(Encoding.ASCII.GetBytes($"boot {i}\n"));
            }
            console.AgentLogConnected(); // from here the log's copy is debug-level, and this log is at info
            console.Write(Encoding.ASCII.GetBytes("agent repeated on the console\npartial at the end"));
        }
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        Assert.InRange(output.ToString().Split('\n').Count(l => l.Contains("guest console: boot ", StringComparison.Ordinal)), 5, 20);
        Assert.DoesNotContain("agent repeated", output.ToString());

        string[] lines = File.ReadAllLines(file.FilePath).Select(l => l[25..]).ToArray();
        Assert.Equal([.. Enumerable.Range(0, 50).Select(i => $"boot {i}"), "agent repeated on the console", "partial at the end"], lines);
        Assert.Equal(0, log.Drops.DroppedConsoleFileLines);
    }

    private static int Written(string log) => log.Split('\n').Count(l => l.Contains("guest console: xxx", StringComparison.Ordinal));

    /// <summary>A blocking write(2) to a descriptor, as the shim's stderr is on the log FIFO.</summary>
    private sealed class DescriptorWriter(FileDescriptor descriptor) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value) => descriptor.WriteAll(Encoding.UTF8.GetBytes(value ?? ""));
    }
}
