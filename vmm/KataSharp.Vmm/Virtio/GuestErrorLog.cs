namespace KataSharp.Vmm.Virtio;

/// <summary>
/// Where a device reports guest misbehaviour (bad register writes, malformed chains). Every report is
/// counted; only the first <see cref="PrintedReports"/> are printed, so a hostile guest cannot flood the
/// host's log.
/// </summary>
public sealed class GuestErrorLog
{
    public const int PrintedReports = 32;

    private readonly string _source;
    private readonly Action<string> _sink;
    private long _count;

    /// <param name="source">Device name used as the line prefix.</param>
    /// <param name="sink">Where printed lines go (default: standard error).</param>
    public GuestErrorLog(string source, Action<string>? sink = null)
    {
        _source = source;
        _sink = sink ?? (line => Console.Error.WriteLine(line));
    }

    /// <summary>Reports so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>The most recent report (for tests and diagnostics).</summary>
    public string? Last { get; private set; }

    public void Report(string message)
    {
        long n = Interlocked.Increment(ref _count);
        Last = message;
        if (n <= PrintedReports)
        {
            _sink($"[virtio {_source}] guest error: {message}{(n == PrintedReports ? " (further reports suppressed)" : "")}");
        }
    }
}
