using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Runtime.Io;

/// <summary>
/// Copies between containerd's stdio FIFOs and a process's guest streams: FIFO stdin → guest
/// stdin, guest stdout/stderr → FIFOs. <see cref="OutputDone"/> completes only when both
/// outputs hit end of file and their FIFOs are closed, so the exit is reported after the last
/// byte of output, never before. Output for which containerd gave no FIFO, or whose reader went
/// away, is still read to its end and dropped, so the guest never blocks on it.
/// </summary>
public sealed class ProcessIoBridge : IAsyncDisposable
{
    private const int BufferSize = 32 * 1024;

    private readonly RuntimeLog _log;
    private readonly string _name;
    private readonly FifoReader? _stdinFifo;
    private readonly Task _stdinCopy;
    private readonly Action? _firstOutput;
    private int _outputSeen;

    private ProcessIoBridge(ProcessStdio stdio, ProcessStreams streams, RuntimeLog log, string name, Action? firstOutput)
    {
        _log = log;
        _name = name;
        _firstOutput = firstOutput;
        if (stdio.Stdin is not null && streams.Stdin is not null)
        {
            _stdinFifo = FifoReader.Open(stdio.Stdin);
            // A dedicated thread: FifoReader.Read blocks in epoll until the client types something.
            _stdinCopy = Task.Factory.StartNew(() => CopyStdin(_stdinFifo, streams.Stdin), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        else
        {
            streams.Stdin?.Dispose();
            _stdinCopy = Task.CompletedTask;
        }
        OutputDone = Task.WhenAll(
            CopyOutputAsync(streams.Stdout, stdio.Stdout is null ? null : FifoWriter.Open(stdio.Stdout)),
            CopyOutputAsync(streams.Stderr, stdio.Stderr is null ? null : FifoWriter.Open(stdio.Stderr)));
    }

    /// <summary>Completes when all output reached the FIFOs and they are closed.</summary>
    public Task OutputDone { get; }

    /// <param name="firstOutput">Called once, after the first bytes of stdout or stderr reached containerd's FIFO
    /// (the start timeline's first_output_byte); never again, whatever the process writes.</param>
    public static ProcessIoBridge Start(ProcessStdio stdio, ProcessStreams streams, RuntimeLog log, ProcessKey key, Action? firstOutput = null) =>
        new(stdio, streams, log, key.ToString(), firstOutput);

    /// <summary>
    /// CloseIO: let stdin data already in the FIFO reach the process (bounded), then close the
    /// process's stdin so it reads end of file.
    /// </summary>
    public async Task CloseStdinAsync(TimeSpan drainLimit)
    {
        if (_stdinFifo is not null && await Task.WhenAny(_stdinCopy, Task.Delay(drainLimit)) != _stdinCopy)
        {
            _stdinFifo.Cancel();
        }
        await _stdinCopy;
    }

    private void CopyStdin(FifoReader fifo, Stream stdin)
    {
        byte[] buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                int n = fifo.Read(buffer);
                if (n == 0)
                {
                    break;
                }
                stdin.Write(buffer, 0, n);
                stdin.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            _log.Debug($"{_name}: stdin copy ended: {e.Message}");
        }
        finally
        {
            stdin.Dispose();
        }
    }

    private async Task CopyOutputAsync(Stream? source, FifoWriter? fifo)
    {
        if (source is null)
        {
            fifo?.Dispose();
            return;
        }
        await Task.Yield();
        byte[] buffer = new byte[BufferSize];
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer)) > 0)
            {
                if (fifo is not null)
                {
                    fifo.Write(buffer.AsSpan(0, n));
                    if (_firstOutput is not null && Interlocked.Exchange(ref _outputSeen, 1) == 0)
                    {
                        _firstOutput();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or KataSharp.Linux.LinuxException)
        {
            _log.Warn($"{_name}: output copy ended early: {e.Message}");
        }
        finally
        {
            fifo?.Dispose();
            await source.DisposeAsync();
        }
    }

    /// <summary>Stops the stdin copy and releases the FIFOs. Output copies end with their streams.</summary>
    public async ValueTask DisposeAsync()
    {
        _stdinFifo?.Cancel();
        await _stdinCopy;
        _stdinFifo?.Dispose();
    }
}
