namespace KataSharp.Runtime.Logging;

/// <summary>
/// Turns a stream of drops into at most one warning per interval ("dropped N guest log lines (rate
/// limit)"), so what is dropped for flooding does not flood the log itself. The remainder is
/// reported when disposed.
/// </summary>
public sealed class IntervalDropReport : IDisposable
{
    private readonly RuntimeLog _log;
    private readonly Func<long, string> _message;
    private readonly Timer _timer;
    private long _pending;

    /// <param name="message">The warning for <c>n</c> drops since the last one.</param>
    public IntervalDropReport(RuntimeLog log, TimeSpan interval, Func<long, string> message)
    {
        _log = log;
        _message = message;
        _timer = new Timer(_ => Report(), null, interval, interval);
    }

    public void Add() => Interlocked.Increment(ref _pending);

    private void Report()
    {
        long dropped = Interlocked.Exchange(ref _pending, 0);
        if (dropped > 0)
        {
            _log.Warn(_message(dropped));
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Report();
    }
}
