using System.Threading.Channels;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// The shim log's writer. Callers — vCPU threads writing the guest console, the VMM's event loop,
/// request handlers — only enqueue a finished record and return at once; one dedicated thread
/// writes the records to the <see cref="TextWriter"/> (containerd's log FIFO), which blocks for as
/// long as containerd does not read. The queue is bounded by the characters it holds: a record
/// that does not fit is dropped and counted, and once the writer makes progress again it writes
/// one record saying how many were dropped.
/// </summary>
internal sealed class LogRecordQueue : IDisposable
{
    /// <summary>About 2 MiB of UTF-16: thousands of ordinary records, and a bounded cost for a stalled reader.</summary>
    public const int DefaultCapacityChars = 1 << 20;

    private readonly TextWriter _writer;
    private readonly int _capacityChars;
    private readonly Func<long, string> _dropReport;
    private readonly Channel<string> _records = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _progress = new();
    private Thread? _thread;
    private long _queuedChars;
    private long _accepted;
    private long _done;
    private long _unreported;
    private int _flushWaiters;

    /// <param name="writer">Where records go; only the writer thread touches it.</param>
    /// <param name="capacityChars">The most characters queued at once.</param>
    /// <param name="drops">Counts the records dropped.</param>
    /// <param name="dropReport">The record written once progress resumes after <c>n</c> drops.</param>
    public LogRecordQueue(TextWriter writer, int capacityChars, DropCounters drops, Func<long, string> dropReport)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityChars, 1);
        _writer = writer;
        _capacityChars = capacityChars;
        Drops = drops;
        _dropReport = dropReport;
    }

    public DropCounters Drops { get; }

    /// <summary>Queues one record (without its newline); never blocks. False when it was dropped.</summary>
    public bool TryEnqueue(string record)
    {
        if (Interlocked.Add(ref _queuedChars, record.Length) > _capacityChars)
        {
            Interlocked.Add(ref _queuedChars, -record.Length);
            Dropped();
            return false;
        }
        Interlocked.Increment(ref _accepted);
        if (!_records.Writer.TryWrite(record))
        {
            // Closed (the shim is exiting): the record cannot be written any more.
            Interlocked.Add(ref _queuedChars, -record.Length);
            Interlocked.Decrement(ref _accepted);
            Dropped();
            return false;
        }
        EnsureWriterThread();
        return true;
    }

    /// <summary>Waits until every record queued before the call is written (or failed); false on timeout.</summary>
    public bool Flush(TimeSpan timeout)
    {
        long target = Interlocked.Read(ref _accepted);
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_progress)
        {
            Interlocked.Increment(ref _flushWaiters);
            try
            {
                while (Interlocked.Read(ref _done) < target)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0)
                    {
                        return false;
                    }
                    Monitor.Wait(_progress, (int)Math.Min(left, int.MaxValue));
                }
                return true;
            }
            finally
            {
                Interlocked.Decrement(ref _flushWaiters);
            }
        }
    }

    /// <summary>
    /// Stops accepting records and waits up to <paramref name="timeout"/> for the queued ones to be
    /// written. False when the writer is still blocked: its thread is a background thread, so it
    /// cannot keep the process alive.
    /// </summary>
    public bool Close(TimeSpan timeout)
    {
        _records.Writer.TryComplete();
        Thread? thread = Volatile.Read(ref _thread);
        return thread is null || thread.Join(timeout);
    }

    public void Dispose() => Close(TimeSpan.FromSeconds(2));

    private void Dropped()
    {
        Drops.CountDroppedLogRecord();
        Interlocked.Increment(ref _unreported);
    }

    private void EnsureWriterThread()
    {
        if (Volatile.Read(ref _thread) is not null)
        {
            return;
        }
        var thread = new Thread(WriteLoop) { IsBackground = true, Name = "katasharp-log" };
        if (Interlocked.CompareExchange(ref _thread, thread, null) is null)
        {
            thread.Start();
        }
    }

    private void WriteLoop()
    {
        ChannelReader<string> reader = _records.Reader;
        while (true)
        {
            while (reader.TryRead(out string? record))
            {
                ReportDrops();
                Write(record);
                Interlocked.Increment(ref _done);
                if (Interlocked.Add(ref _queuedChars, -record.Length) == 0)
                {
                    // Nothing more queued: report drops and push out what the writer buffers.
                    ReportDrops();
                    Flush();
                }
                WakeFlushers();
            }
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                ReportDrops();
                Flush();
                return;
            }
        }
    }

    private void ReportDrops()
    {
        long dropped = Interlocked.Exchange(ref _unreported, 0);
        if (dropped > 0)
        {
            Write(_dropReport(dropped));
        }
    }

    private void Write(string record)
    {
        try
        {
            _writer.Write(record);
            _writer.Write('\n');
        }
        catch (Exception)
        {
            // Whatever the sink throws (the log's reader, containerd, is gone: EPIPE), this thread must
            // not end the shim with an unhandled exception: the record is lost, the next one is tried.
        }
    }

    private void Flush()
    {
        try
        {
            _writer.Flush();
        }
        catch (Exception)
        {
            // As in Write.
        }
    }

    private void WakeFlushers()
    {
        if (Volatile.Read(ref _flushWaiters) > 0)
        {
            lock (_progress)
            {
                Monitor.PulseAll(_progress);
            }
        }
    }
}
