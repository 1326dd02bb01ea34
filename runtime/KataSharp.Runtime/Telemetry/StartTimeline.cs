using System.Diagnostics;
using System.Globalization;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Persistence;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// Where the time of a pod's start goes (issue 15): each phase (<see cref="StartPhase"/>) becomes one debug record
/// <c>phase=NAME at_ms=WHEN took_ms=HOW_LONG</c> (and <c>cached=true|false</c> for a layer), WHEN counted from the shim
/// process's start, so that containerd exec'ing the shim and the runtime's own start-up are in it too. Monotonic
/// clock (<see cref="Stopwatch"/>); nothing is kept but the one pending shim_start record, so a guest that makes
/// events happen often costs log records (bounded and dropped by the log's queue), never memory. Callers record a
/// phase once per container or process where a guest could make it recur.
/// </summary>
public sealed class StartTimeline
{
    // USER_HZ: the unit of /proc/PID/stat's starttime, fixed at 100 by the kernel's ABI on the architectures we run on.
    private const double ClockTicksPerSecond = 100;

    private readonly RuntimeLog _log;
    private readonly Func<long> _clock;
    private readonly long _origin;
    private readonly long _serveReached;
    private int _shimStartLogged;

    /// <param name="origin">The <paramref name="clock"/>'s timestamp of the process's start: every at_ms counts from it.</param>
    /// <param name="serveReached">When the shim's own code began; logged as shim_start with the first other phase, because
    /// before the configuration is read the log does not know yet whether debug records are wanted.</param>
    /// <param name="clock">Timestamps in <see cref="Stopwatch.Frequency"/> units (tests pass their own).</param>
    public StartTimeline(RuntimeLog log, long origin, long serveReached, Func<long>? clock = null)
    {
        _log = log;
        _clock = clock ?? Stopwatch.GetTimestamp;
        _origin = Math.Min(origin, serveReached);
        _serveReached = serveReached;
    }

    /// <summary>A timeline of this process, from its start as the kernel recorded it, with shim_start ending now.</summary>
    public static StartTimeline OfThisProcess(RuntimeLog log)
    {
        long now = Stopwatch.GetTimestamp();
        return new StartTimeline(log, now - ToTimestamp(ProcessAge()), now);
    }

    /// <summary>A timeline that logs nothing, for hosts that are not the shim (tests, tools).</summary>
    public static StartTimeline Null { get; } = new(RuntimeLog.Null, 0, 0);

    /// <summary>The clock's current timestamp: take it where a phase begins and hand it to <see cref="Record"/>.</summary>
    public long Now => _clock();

    /// <summary>How long ago <paramref name="startedAt"/> (a <see cref="Now"/>) was.</summary>
    public TimeSpan Since(long startedAt) => TimeSpan.FromSeconds(Math.Max(_clock() - startedAt, 0) / (double)Stopwatch.Frequency);

    /// <summary>
    /// One debug record for <paramref name="phase"/>, begun at <paramref name="startedAt"/> (a <see cref="Now"/>) and ending now.
    /// Never blocks (the log's queue). The first call also logs shim_start, before its own record.
    /// </summary>
    /// <returns>The phase's end, where a phase that follows it begins.</returns>
    public long Record(string phase, long startedAt, string? containerId = null, bool? cached = null)
    {
        long now = _clock();
        if (!_log.IsDebugEnabled)
        {
            return now;
        }
        if (Interlocked.Exchange(ref _shimStartLogged, 1) == 0)
        {
            Write(StartPhase.ShimStart, _origin, _serveReached, null, null);
        }
        Write(phase, startedAt, now, containerId, cached);
        return now;
    }

    /// <summary>A phase whose duration was measured elsewhere (the guest's own clock), logged as ending now.</summary>
    public void RecordDuration(string phase, TimeSpan took, string? containerId = null) =>
        Record(phase, _clock() - ToTimestamp(took < TimeSpan.Zero ? TimeSpan.Zero : took), containerId);

    private void Write(string phase, long startedAt, long endedAt, string? containerId, bool? cached)
    {
        LogField[] fields =
        [
            new("phase", phase),
            new("at_ms", Milliseconds(endedAt - _origin)),
            new("took_ms", Milliseconds(endedAt - Math.Min(startedAt, endedAt))),
            new("cached", cached is true ? "true" : "false"),
        ];
        _log.Debug($"start timeline: {phase}", containerId, cached is null ? fields.AsSpan(0, 3) : fields);
    }

    private static string Milliseconds(long ticks) =>
        (Math.Max(ticks, 0) * 1000.0 / Stopwatch.Frequency).ToString("0.0", CultureInfo.InvariantCulture);

    private static long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>
    /// How long ago this process started: /proc/uptime minus /proc/self/stat's starttime, both since boot and both in
    /// hundredths of a second, so this is right to ±10 ms. Zero when either cannot be read (no /proc).
    /// </summary>
    private static TimeSpan ProcessAge()
    {
        try
        {
            string uptime = File.ReadAllText("/proc/uptime").Split(' ')[0];
            if (ProcessStartTime.Of(Environment.ProcessId) is { } ticks
                && double.TryParse(uptime, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            {
                return TimeSpan.FromSeconds(Math.Max(0, seconds - ticks / ClockTicksPerSecond));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: the timeline then starts at the shim's own code.
        }
        return TimeSpan.Zero;
    }
}
