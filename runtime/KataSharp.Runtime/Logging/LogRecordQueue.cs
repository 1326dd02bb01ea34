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
    private readonly Func<long, string> _dropReport;
    private readonly BoundedWriterThread<string> _thread;
    private long _unreported;

    /// <param name="writer">Where records go; only the writer thread touches it.</param>
    /// <param name="capacityChars">The most characters queued at once.</param>
    /// <param name="drops">Counts the records dropped.</param>
    /// <param name="dropReport">The record written once progress resumes after <c>n</c> drops.</param>
    public LogRecordQueue(TextWriter writer, int capacityChars, DropCounters drops, Func<long, string> dropReport)
    {
        _writer = writer;
        Drops = drops;
        _dropReport = dropReport;
        _thread = new BoundedWriterThread<string>("katasharp-log", capacityChars, record =>
        {
            ReportDrops();
            Write(record);
        }, () =>
        {
            // Nothing more queued: report drops and push out what the writer buffers.
            ReportDrops();
            Flush();
        });
    }

    public DropCounters Drops { get; }

    /// <summary>Queues one record (without its newline); never blocks. False when it was dropped.</summary>
    public bool TryEnqueue(string record)
    {
        if (_thread.TryEnqueue(record, record.Length))
        {
            return true;
        }
        Drops.CountDroppedLogRecord();
        Interlocked.Increment(ref _unreported);
        return false;
    }

    /// <summary>Waits until every record queued before the call is written (or failed); false on timeout.</summary>
    public bool Flush(TimeSpan timeout) => _thread.Flush(timeout);

    /// <summary>
    /// Stops accepting records and waits up to <paramref name="timeout"/> for the queued ones to be
    /// written. False when the writer is still blocked: its thread is a background thread, so it
    /// cannot keep the process alive.
    /// </summary>
    public bool Close(TimeSpan timeout) => _thread.Close(timeout);

    public void Dispose() => Close(TimeSpan.FromSeconds(2));

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
}
