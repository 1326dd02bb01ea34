using System.Diagnostics;
using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Logging;

public sealed class GuestConsoleFileTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_file_exists_from_the_start_owner_only_and_holds_each_line_stamped_and_escaped()
    {
        using var directory = new TempDirectory("ks-consolefile");
        var drops = new DropCounters();
        using var file = new GuestConsoleFile(directory.Path, 64 * 1024, 64, drops);
        Assert.True(File.Exists(file.FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.FilePath));

        Assert.True(file.TryAppend("Linux version 6.12"u8, truncated: false));
        Assert.True(file.TryAppend("\u001b[2Jcleared\r\nforged\u202e"u8.ToArray(), truncated: false));
        Assert.True(file.TryAppend(Encoding.ASCII.GetBytes(new string('y', 100)), truncated: false));
        Assert.True(file.TryAppend("cut by the splitter"u8, truncated: true));
        Assert.True(file.Flush(Deadline));

        string[] lines = File.ReadAllText(file.FilePath).Split('\n');
        Assert.Equal(5, lines.Length);
        Assert.Equal("", lines[4]);
        Assert.All(lines[..4], l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", l));
        Assert.EndsWith(" Linux version 6.12", lines[0]);
        Assert.EndsWith(@" \x1b[2Jcleared\r\nforged\u202e", lines[1]);
        Assert.EndsWith($" {new string('y', 64)} …[cut at 64 bytes]", lines[2]);
        Assert.EndsWith(" cut by the splitter …[cut at 64 bytes]", lines[3]);
        Assert.Equal(0, drops.DroppedConsoleFileLines);
    }

    [Fact]
    public void Past_the_cap_the_file_rotates_once_and_neither_file_outgrows_it()
    {
        using var directory = new TempDirectory("ks-consolefile");
        const int maxLine = 64;
        long cap = GuestConsoleFile.MinimumFileBytes(maxLine);
        var drops = new DropCounters();
        using (var file = new GuestConsoleFile(directory.Path, cap, maxLine, drops))
        {
            for (int i = 0; i < 200; i++)
            {
                // Every fifth line the worst case: each byte a control character, four bytes once escaped.
                byte[] line = i % 5 == 0 ? Enumerable.Repeat((byte)0x07, maxLine).ToArray() : Encoding.ASCII.GetBytes($"line {i}");
                Assert.True(file.TryAppend(line, truncated: false));
                Assert.True(file.Flush(Deadline));
                Assert.InRange(new FileInfo(file.FilePath).Length, 1, cap);
            }
            Assert.InRange(new FileInfo(file.RotatedFilePath).Length, 1, cap);
        }

        Assert.Equal(new[] { "console.log", "console.log.1" }, Directory.GetFiles(directory.Path).Select(Path.GetFileName).Order());
        // The newest lines, in order, across the rotated file and the current one; the oldest are gone.
        string[] kept = (File.ReadAllText(directory.Combine("console.log.1")) + File.ReadAllText(directory.Combine("console.log")))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[25..]).ToArray();
        Assert.Equal("line 199", kept[^1]);
        Assert.Equal(Enumerable.Range(200 - kept.Length, kept.Length).Select(i => i % 5 == 0 ? string.Concat(Enumerable.Repeat(@"\x07", maxLine)) : $"line {i}"), kept);
        Assert.InRange(kept.Length, 5, 100);
        Assert.Equal(0, drops.DroppedConsoleFileLines);
    }

    [Fact]
    public async Task A_stuck_file_costs_counted_dropped_lines_never_a_blocked_vcpu_and_the_file_marks_the_gap()
    {
        using var directory = new TempDirectory("ks-consolefile");
        // console.log as a FIFO nobody reads: the writer thread blocks in write(2) once the pipe (64 KiB) is full.
        string path = directory.Combine(GuestConsoleFile.FileName);
        Fifo.Create(path);
        using var reader = FileDescriptor.Open(path, (int)(OpenFlags.ReadWrite | OpenFlags.NonBlocking));
        var drops = new DropCounters();
        var file = new GuestConsoleFile(directory.Path, 1 << 20, 1024, drops, queueBytes: 16 * 1024);
        byte[] line = Encoding.ASCII.GetBytes(new string('x', 999));

        int accepted = 0;
        await Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                accepted += file.TryAppend(line, truncated: false) ? 1 : 0;
            }
        }).WaitAsync(TimeSpan.FromSeconds(30));
        long dropped = drops.DroppedConsoleFileLines;
        Assert.Equal(1000, accepted + dropped);
        Assert.InRange(dropped, 800, 1000);

        // The reader drains the pipe: what was queued arrives, then where the dropped lines were.
        var received = new StringBuilder();
        byte[] buffer = new byte[64 * 1024];
        await Eventually.TrueAsync(() =>
        {
            int n;
            while ((n = reader.TryRead(buffer)) > 0)
            {
                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            // A gap's note goes out before the next accepted line, so the notes can all be through while queued
            // lines are still on their way: wait for both.
            return Missing(received.ToString()) == dropped && WholeLines(received.ToString()) == accepted;
        }, "the queued lines and the gap's notes (adding up to every drop) through the FIFO", TimeSpan.FromSeconds(30));
        Assert.True(file.Flush(Deadline));
        while (reader.TryRead(buffer) is int more and > 0)
        {
            received.Append(Encoding.UTF8.GetString(buffer, 0, more));
        }
        Assert.Equal(accepted, WholeLines(received.ToString()));
        Assert.Equal(dropped, Missing(received.ToString()));
        file.Dispose();
        Assert.False(file.TryAppend(line, truncated: false));
        Assert.Equal(dropped + 1, drops.DroppedConsoleFileLines);
    }

    private static int WholeLines(string text) =>
        text.Split('\n').Count(l => l.EndsWith(new string('x', 999), StringComparison.Ordinal));

    /// <summary>The counts of the "N console lines missing here" notes (a gap's drops may be split over several).</summary>
    private static long Missing(string text) =>
        System.Text.RegularExpressions.Regex.Matches(text, @"\[katasharp: ([0-9]+) console lines missing here").Sum(m => long.Parse(m.Groups[1].Value));

    [Fact]
    public async Task Disposing_waits_only_a_bounded_time_for_a_stuck_file()
    {
        using var directory = new TempDirectory("ks-consolefile");
        string path = directory.Combine(GuestConsoleFile.FileName);
        Fifo.Create(path);
        using var reader = FileDescriptor.Open(path, (int)(OpenFlags.ReadWrite | OpenFlags.NonBlocking));
        var drops = new DropCounters();
        var file = new GuestConsoleFile(directory.Path, 1 << 20, 4096, drops);
        byte[] line = new byte[4000];
        for (int i = 0; i < 40; i++)
        {
            file.TryAppend(line, truncated: false); // 160 KB of escaped NULs: more than the pipe holds
        }
        Assert.False(file.Flush(TimeSpan.FromMilliseconds(200)));
        var clock = Stopwatch.StartNew();
        await Task.Run(file.Dispose).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        // Drain the pipe until the writer has written everything, so its thread ends with the test.
        byte[] buffer = new byte[64 * 1024];
        await Eventually.TrueAsync(() =>
        {
            while (reader.TryRead(buffer) > 0)
            {
            }
            return file.Flush(TimeSpan.Zero);
        }, "the writer done once the pipe is read", TimeSpan.FromSeconds(30));
        // What was still queued when the stop gave up waiting is dropped and counted, not written late (it would create
        // and rotate files while the sandbox's state directory is removed).
        Assert.InRange(drops.DroppedConsoleFileLines, 1, 40);
        Assert.Equal(new[] { GuestConsoleFile.FileName }, Directory.GetFileSystemEntries(directory.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_cap_that_cannot_hold_one_escaped_line_is_refused()
    {
        using var directory = new TempDirectory("ks-consolefile");
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestConsoleFile(directory.Path, GuestConsoleFile.MinimumFileBytes(4096) - 1, 4096, new DropCounters()));
        Assert.True(GuestConsoleFile.MinimumFileBytes(GuestOutputLimits.Default.MaxLineBytes) <= 64 * 1024,
            "the smallest console_log_max_kib (64) must hold one line of the default line limit");
    }
}
