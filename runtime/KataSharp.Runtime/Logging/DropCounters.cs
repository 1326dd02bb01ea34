namespace KataSharp.Runtime.Logging;

/// <summary>
/// What the shim did not pass on because a bound was reached — guest output cut, refused or
/// rate-limited, OOM events ignored or dropped, its own log records dropped while containerd read
/// the log too slowly, console lines the console file's writer could not keep up with, replies of the VMM process that
/// answered no command. One instance per sandbox (a shim serves one sandbox), reached through
/// <see cref="RuntimeLog.Drops"/>; thread-safe; the totals are logged when the sandbox stops and
/// the names are metric names, ready to be exported.
/// </summary>
public sealed class DropCounters
{
    private long _truncatedGuestLines;
    private long _refusedGuestLogConnections;
    private long _rateLimitedGuestLines;
    private long _ignoredOomEvents;
    private long _droppedOomEvents;
    private long _droppedLogRecords;
    private long _droppedConsoleFileLines;
    private long _strayVmmReplies;

    /// <summary>Guest log and console lines cut at the line limit (the rest of each was discarded unread).</summary>
    public long TruncatedGuestLines => Interlocked.Read(ref _truncatedGuestLines);

    /// <summary>Connections to the guest log port closed at once because the connection limit was reached.</summary>
    public long RefusedGuestLogConnections => Interlocked.Read(ref _refusedGuestLogConnections);

    /// <summary>Guest log and console lines dropped by the lines/s or bytes/s limit.</summary>
    public long RateLimitedGuestLines => Interlocked.Read(ref _rateLimitedGuestLines);

    /// <summary>OOM events naming a container this shim does not run (not forwarded to containerd).</summary>
    public long IgnoredOomEvents => Interlocked.Read(ref _ignoredOomEvents);

    /// <summary>OOM events for our containers dropped because one was already queued or the queue was full.</summary>
    public long DroppedOomEvents => Interlocked.Read(ref _droppedOomEvents);

    /// <summary>Shim log records dropped because the log queue was full (its reader, containerd, was too slow).</summary>
    public long DroppedLogRecords => Interlocked.Read(ref _droppedLogRecords);

    /// <summary>Guest console lines not written to the sandbox's console file (its queue was full, or the write failed).</summary>
    public long DroppedConsoleFileLines => Interlocked.Read(ref _droppedConsoleFileLines);

    /// <summary>Replies of the VMM process that answered no command: late (their command had timed out), numbered for
    /// another, or past the reply queue's bound (KataSharp.Shim.Backend.VmmCommands).</summary>
    public long StrayVmmReplies => Interlocked.Read(ref _strayVmmReplies);

    public void CountTruncatedGuestLine() => Interlocked.Increment(ref _truncatedGuestLines);

    public void CountRefusedGuestLogConnection() => Interlocked.Increment(ref _refusedGuestLogConnections);

    public void CountRateLimitedGuestLine() => Interlocked.Increment(ref _rateLimitedGuestLines);

    public void CountIgnoredOomEvent() => Interlocked.Increment(ref _ignoredOomEvents);

    public void CountDroppedOomEvent() => Interlocked.Increment(ref _droppedOomEvents);

    public void CountDroppedLogRecord() => Interlocked.Increment(ref _droppedLogRecords);

    public void CountDroppedConsoleFileLine() => Interlocked.Increment(ref _droppedConsoleFileLines);

    public void CountStrayVmmReply() => Interlocked.Increment(ref _strayVmmReplies);

    /// <summary>Every counter by its metric name, in a fixed order.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Values =>
    [
        new("truncated_guest_lines", TruncatedGuestLines),
        new("refused_guest_log_connections", RefusedGuestLogConnections),
        new("rate_limited_guest_lines", RateLimitedGuestLines),
        new("ignored_oom_events", IgnoredOomEvents),
        new("dropped_oom_events", DroppedOomEvents),
        new("dropped_log_records", DroppedLogRecords),
        new("dropped_console_file_lines", DroppedConsoleFileLines),
        new("stray_vmm_replies", StrayVmmReplies),
    ];

    /// <summary>"name=value" pairs, for the line logged when the sandbox stops.</summary>
    public override string ToString() => string.Join(' ', Values.Select(v => $"{v.Key}={v.Value}"));
}
