namespace KataSharp.Linux.Threading;

/// <summary>A point in monotonic time that several waits share, so a sequence of them stays within one bound.</summary>
public readonly record struct Deadline(long EndMilliseconds)
{
    public static Deadline After(TimeSpan timeout) => new(Environment.TickCount64 + (long)timeout.TotalMilliseconds);

    /// <summary>Time left (zero once passed): a wait given this returns at once after the deadline.</summary>
    public TimeSpan Remaining => TimeSpan.FromMilliseconds(Math.Max(0, EndMilliseconds - Environment.TickCount64));
}
