using System.Threading.RateLimiting;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// Lines/s and bytes/s token buckets for one source of guest text (the log port, the console):
/// a line that finds either bucket empty is dropped, counted in <see cref="DropCounters.RateLimitedGuestLines"/>
/// and summed into one "dropped N … lines (rate limit)" warning per interval. Never waits.
/// </summary>
public sealed class GuestLineRateLimit : IDisposable
{
    private readonly TokenBucketRateLimiter _lines;
    private readonly TokenBucketRateLimiter _bytes;
    private readonly int _maxLineBytes;
    private readonly DropCounters _drops;
    private readonly IntervalDropReport _report;

    /// <param name="source">What the lines are, for the summary ("guest log", "guest console").</param>
    public GuestLineRateLimit(GuestOutputLimits limits, RuntimeLog log, string source)
    {
        if (limits.ByteBurst < limits.MaxLineBytes)
        {
            throw new ArgumentException($"the byte burst ({limits.ByteBurst}) must hold one line of the line limit ({limits.MaxLineBytes})", nameof(limits));
        }
        _lines = Bucket(limits.LinesPerSecond, limits.LineBurst);
        _bytes = Bucket(limits.BytesPerSecond, limits.ByteBurst);
        _maxLineBytes = limits.MaxLineBytes;
        _drops = log.Drops;
        _report = new IntervalDropReport(log, limits.SummaryInterval, n => $"dropped {n} {source} lines (rate limit)");
    }

    /// <summary>True when a line of <paramref name="bytes"/> may be logged; otherwise it is counted as dropped.</summary>
    public bool TryAdmit(int bytes)
    {
        using (RateLimitLease line = _lines.AttemptAcquire(1))
        {
            if (line.IsAcquired)
            {
                using RateLimitLease size = _bytes.AttemptAcquire(Math.Clamp(bytes, 0, _maxLineBytes));
                if (size.IsAcquired)
                {
                    return true;
                }
            }
        }
        _drops.CountRateLimitedGuestLine();
        _report.Add();
        return false;
    }

    /// <summary>
    /// A bucket holding <paramref name="burst"/> tokens and refilled at <paramref name="perSecond"/>;
    /// the refill timer ticks once a second, so an idle sandbox costs no wakeups to speak of.
    /// </summary>
    private static TokenBucketRateLimiter Bucket(int perSecond, int burst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = true,
            QueueLimit = 0,
        });
    }

    public void Dispose()
    {
        _report.Dispose();
        _lines.Dispose();
        _bytes.Dispose();
    }
}
