using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Runtime.Io;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Io;

/// <summary>Real FIFOs between a ctr-like client and the bridge; the guest side is in-memory pipes.</summary>
public class ProcessIoBridgeTests
{
    private static readonly ProcessKey Key = new("c1", null);

    [Fact]
    public async Task All_output_reaches_the_fifos_before_the_bridge_reports_done()
    {
        using var directory = new TempDirectory();
        string stdoutPath = MakeFifo(directory, "out"), stderrPath = MakeFifo(directory, "err");
        using var stdoutClient = FifoReader.Open(stdoutPath);
        using var stderrClient = FifoReader.Open(stderrPath);
        var stdout = new ChunkPipe();
        var stderr = new ChunkPipe();
        byte[] big = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 31)).ToArray();

        await using var bridge = ProcessIoBridge.Start(new ProcessStdio(null, stdoutPath, stderrPath, false),
            new ProcessStreams(null, stdout.Reader, stderr.Reader), RuntimeLog.Null, Key);
        Task<byte[]> outRead = ReadToEnd(stdoutClient);
        Task<byte[]> errRead = ReadToEnd(stderrClient);
        stdout.Writer.Write(big);
        stderr.Writer.Write(Encoding.ASCII.GetBytes("err line\n"));
        stdout.Writer.Dispose();
        stderr.Writer.Dispose();

        await bridge.OutputDone.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(big, await outRead.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("err line\n", Encoding.ASCII.GetString(await errRead.WaitAsync(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task Stdin_from_the_fifo_reaches_the_process_and_its_end_closes_the_process_stdin()
    {
        using var directory = new TempDirectory();
        string stdinPath = MakeFifo(directory, "in");
        var stdin = new ChunkPipe();
        Task<string> received = Task.Run(async () =>
        {
            using var text = new MemoryStream();
            await stdin.Reader.CopyToAsync(text);
            return Encoding.ASCII.GetString(text.ToArray());
        });
        // Like ctr: the client opens its writer in the background; it completes once the shim reads.
        Task<FileDescriptor> client = Task.Run(() => FileDescriptor.Open(stdinPath, (int)OpenFlags.WriteOnly));

        await using var bridge = ProcessIoBridge.Start(new ProcessStdio(stdinPath, null, null, false),
            new ProcessStreams(stdin.Writer, null, null), RuntimeLog.Null, Key);
        using (FileDescriptor writer = await client.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            writer.WriteAll(Encoding.ASCII.GetBytes("line one\nline two\n"));
        }
        Assert.Equal("line one\nline two\n", await received.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task CloseIo_closes_the_process_stdin_even_while_the_client_keeps_its_writer_open()
    {
        using var directory = new TempDirectory();
        string stdinPath = MakeFifo(directory, "in");
        var stdin = new ChunkPipe();
        Task copied = Task.Run(() => stdin.Reader.CopyToAsync(Stream.Null));
        Task<FileDescriptor> client = Task.Run(() => FileDescriptor.Open(stdinPath, (int)OpenFlags.WriteOnly));
        await using var bridge = ProcessIoBridge.Start(new ProcessStdio(stdinPath, null, null, false),
            new ProcessStreams(stdin.Writer, null, null), RuntimeLog.Null, Key);
        using FileDescriptor writer = await client.WaitAsync(TimeSpan.FromSeconds(10));

        await bridge.CloseStdinAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(TimeSpan.FromSeconds(10));
        await copied.WaitAsync(TimeSpan.FromSeconds(10)); // the process saw end of file
    }

    [Fact]
    public async Task Output_without_a_fifo_is_drained_so_the_guest_never_blocks()
    {
        var stdout = new ChunkPipe();
        await using var bridge = ProcessIoBridge.Start(ProcessStdio.None, new ProcessStreams(null, stdout.Reader, null), RuntimeLog.Null, Key);
        for (int i = 0; i < 64; i++)
        {
            stdout.Writer.Write(new byte[64 * 1024]);
        }
        stdout.Writer.Dispose();
        await bridge.OutputDone.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_client_that_goes_away_does_not_wedge_the_copy()
    {
        using var directory = new TempDirectory();
        string stdoutPath = MakeFifo(directory, "out");
        var client = FifoReader.Open(stdoutPath);
        var stdout = new ChunkPipe();
        await using var bridge = ProcessIoBridge.Start(new ProcessStdio(null, stdoutPath, null, false),
            new ProcessStreams(null, stdout.Reader, null), RuntimeLog.Null, Key);
        stdout.Writer.Write(Encoding.ASCII.GetBytes("seen\n"));
        byte[] first = new byte[5];
        Assert.Equal(5, client.Read(first));
        client.Dispose(); // ctr killed
        for (int i = 0; i < 64; i++)
        {
            stdout.Writer.Write(new byte[64 * 1024]); // far more than a pipe holds
        }
        stdout.Writer.Dispose();
        await bridge.OutputDone.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_first_output_is_reported_once_whatever_the_process_writes_and_only_when_it_reached_a_fifo()
    {
        using var directory = new TempDirectory();
        string stdoutPath = MakeFifo(directory, "out"), stderrPath = MakeFifo(directory, "err");
        using var stdoutClient = FifoReader.Open(stdoutPath);
        using var stderrClient = FifoReader.Open(stderrPath);
        var stdout = new ChunkPipe();
        var stderr = new ChunkPipe();
        int reported = 0;
        await using var bridge = ProcessIoBridge.Start(new ProcessStdio(null, stdoutPath, stderrPath, false),
            new ProcessStreams(null, stdout.Reader, stderr.Reader), RuntimeLog.Null, Key, () => Interlocked.Increment(ref reported));
        Task<byte[]> outRead = ReadToEnd(stdoutClient);
        Task<byte[]> errRead = ReadToEnd(stderrClient);
        for (int i = 0; i < 100; i++)
        {
            stdout.Writer.Write(Encoding.ASCII.GetBytes($"out {i}\n"));
            stderr.Writer.Write(Encoding.ASCII.GetBytes($"err {i}\n"));
        }
        stdout.Writer.Dispose();
        stderr.Writer.Dispose();
        await bridge.OutputDone.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.WhenAll(outRead, errRead).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Volatile.Read(ref reported));

        // Output containerd gave no FIFO for is dropped, not relayed: nothing to report.
        var unread = new ChunkPipe();
        await using var drained = ProcessIoBridge.Start(ProcessStdio.None, new ProcessStreams(null, unread.Reader, null), RuntimeLog.Null, Key,
            () => Interlocked.Increment(ref reported));
        unread.Writer.Write(Encoding.ASCII.GetBytes("dropped\n"));
        unread.Writer.Dispose();
        await drained.OutputDone.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Volatile.Read(ref reported));
    }

    private static string MakeFifo(TempDirectory directory, string name)
    {
        string path = directory.Combine(name);
        Fifo.Create(path);
        return path;
    }

    private static Task<byte[]> ReadToEnd(FifoReader reader) => Task.Factory.StartNew(() =>
    {
        using var all = new MemoryStream();
        byte[] buffer = new byte[65536];
        int n;
        while ((n = reader.Read(buffer)) > 0)
        {
            all.Write(buffer, 0, n);
        }
        return all.ToArray();
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
