using System.Threading.Channels;
using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Engine.Processes;

/// <summary>
/// One output stream of a process (stdout, stderr or the pty): a pump moves bytes from the
/// descriptor into a bounded queue as they come, so output written before a reader attaches is
/// kept; when the queue is full the pump stops reading and the process blocks on its pipe.
/// One reader at a time; a reader that leaves lets the next one continue where it stopped.
/// </summary>
public sealed class OutputBuffer : IDisposable
{
    private const int ChunkSize = 32 * 1024;
    private const int QueuedChunks = 32; // up to 1 MiB in the agent, plus the pipe's own buffer
    private readonly Channel<byte[]> _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueuedChunks) { SingleReader = true, SingleWriter = true });
    private readonly FileDescriptor _fd;
    private readonly FdPoller _poller;
    private readonly CancellationTokenSource _stop = new();
    private int _readers;

    public OutputBuffer(FileDescriptor fd, FdPoller poller)
    {
        _fd = fd;
        _poller = poller;
        Pump = Task.Run(PumpAsync);
    }

    /// <summary>Completes at end of stream (every writer closed) or when disposed.</summary>
    public Task Pump { get; }

    /// <summary>Streams the output until its end; fails with FailedPrecondition if another reader is attached.</summary>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _readers, 1, 0) != 0)
        {
            throw AgentException.FailedPrecondition("another reader is already attached to this stream");
        }
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out byte[]? chunk))
                {
                    yield return chunk;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _readers, 0);
        }
    }

    private async Task PumpAsync()
    {
        byte[] buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                int n = await FdStreams.ReadAsync(_poller, _fd, buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                await _queue.Writer.WriteAsync(buffer.AsSpan(0, n).ToArray(), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            Pump.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _poller.Forget(_fd);
        _fd.Dispose();
        _stop.Dispose();
    }
}
