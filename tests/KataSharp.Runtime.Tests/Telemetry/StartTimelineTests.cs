using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Telemetry;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>The pod-start timeline's records: what tests/bench/pod-start.sh reads out of containerd's log.</summary>
public sealed partial class StartTimelineTests
{
    private static readonly long OneMs = Stopwatch.Frequency / 1000;

    [Fact]
    public void Phases_are_logged_in_order_from_the_process_start_shim_start_first()
    {
        var clock = new FakeClock(1000 * OneMs);
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        // The process started 30 ms before the shim's code ran.
        var timeline = new StartTimeline(root.ForSandbox("pod-1"), origin: clock.Now - 30 * OneMs, serveReached: clock.Now, clock.Read);

        long loading = timeline.Now;
        clock.Advance(4);
        long loaded = timeline.Record(StartPhase.ConfigLoaded, loading);
        clock.Advance(100);
        long vm = timeline.Record(StartPhase.VmCreated, loaded);
        clock.Advance(900);
        timeline.Record(StartPhase.AgentReady, vm);
        clock.Advance(7);
        timeline.Record(StartPhase.Teardown, timeline.Now - 7 * OneMs);

        var records = Records(root, output);
        Assert.Equal(
            [(StartPhase.ShimStart, 30.0, 30.0), (StartPhase.ConfigLoaded, 34.0, 4.0), (StartPhase.VmCreated, 134.0, 100.0),
                (StartPhase.AgentReady, 1034.0, 900.0), (StartPhase.Teardown, 1041.0, 7.0)],
            records.Select(r => (r.Phase, r.AtMs, r.TookMs)));
        Assert.All(records.Zip(records.Skip(1)), pair => Assert.True(pair.Second.AtMs >= pair.First.AtMs, $"{pair.Second.Phase} before {pair.First.Phase}"));
    }

    [Fact]
    public void A_record_is_one_debug_line_with_its_fields_before_the_runtime_and_a_layer_says_whether_it_was_cached()
    {
        var clock = new FakeClock(0);
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        var timeline = new StartTimeline(root.ForSandbox("pod-1"), origin: 0, serveReached: 0, clock.Read);
        clock.Advance(10);
        long converting = timeline.Now;
        clock.Advance(2.5);
        timeline.Record(StartPhase.LayerConversion, converting, "c1", cached: true);

        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches("^time=\"[0-9T:.-]+Z\" level=debug msg=\"start timeline: shim_start\" sandbox=\"pod-1\" " +
            "phase=shim_start at_ms=0\\.0 took_ms=0\\.0 runtime=io\\.containerd\\.katasharp\\.v2$", lines[0]);
        Assert.Matches("^time=\"[0-9T:.-]+Z\" level=debug msg=\"start timeline: layer_conversion\" sandbox=\"pod-1\" container=\"c1\" " +
            "phase=layer_conversion at_ms=12\\.5 took_ms=2\\.5 cached=true runtime=io\\.containerd\\.katasharp\\.v2$", lines[1]);
    }

    [Fact]
    public void A_phase_recorded_twice_is_logged_twice_and_shim_start_once()
    {
        var clock = new FakeClock(0);
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        var timeline = new StartTimeline(root, origin: 0, serveReached: 0, clock.Read);
        long first = timeline.Now;
        clock.Advance(3);
        long second = timeline.Record(StartPhase.LayerConversion, first, "c1", cached: true);
        clock.Advance(40);
        timeline.Record(StartPhase.LayerConversion, second, "c1", cached: false);

        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        string text = output.ToString();
        Assert.Single(LinesWith(text, "phase=shim_start "));
        Assert.Equal(["at_ms=3.0 took_ms=3.0 cached=true", "at_ms=43.0 took_ms=40.0 cached=false"],
            LinesWith(text, "phase=layer_conversion ").Select(l => FieldsAfterPhase().Match(l).Groups[1].Value));
    }

    [Fact]
    public void Nothing_is_logged_below_debug_and_shim_start_waits_for_the_first_record_the_configured_level_lets_through()
    {
        var clock = new FakeClock(0);
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: false);
        var timeline = new StartTimeline(root, origin: 0, serveReached: 5 * OneMs, clock.Read);
        clock.Advance(6);
        timeline.Record(StartPhase.ConfigLoaded, timeline.Now); // the level is still info: the configuration is being read
        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        Assert.Empty(output.ToString());

        root.UseConfiguredLevel(LogSeverity.Debug);
        clock.Advance(1);
        timeline.Record(StartPhase.VmCreated, timeline.Now - OneMs);

        Assert.Equal([(StartPhase.ShimStart, 5.0, 5.0), (StartPhase.VmCreated, 7.0, 1.0)], Records(root, output).Select(r => (r.Phase, r.AtMs, r.TookMs)));
    }

    [Fact]
    public void Times_are_never_negative_and_a_guest_reported_duration_ends_now()
    {
        var clock = new FakeClock(100 * OneMs);
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        // A process start after the shim's code began (a clock read out of order) counts from the code.
        var timeline = new StartTimeline(root, origin: clock.Now + 50 * OneMs, serveReached: clock.Now, clock.Read);
        clock.Advance(20);
        timeline.Record(StartPhase.CreateContainer, timeline.Now + 10 * OneMs); // began "after" it ended
        timeline.RecordDuration(StartPhase.GuestBoot, TimeSpan.FromMilliseconds(-5));
        timeline.RecordDuration(StartPhase.GuestBoot, TimeSpan.FromMilliseconds(15));

        Assert.Equal([(StartPhase.ShimStart, 0.0, 0.0), (StartPhase.CreateContainer, 20.0, 0.0), (StartPhase.GuestBoot, 20.0, 0.0),
            (StartPhase.GuestBoot, 20.0, 15.0)], Records(root, output).Select(r => (r.Phase, r.AtMs, r.TookMs)));
    }

    [Fact]
    public void This_process_s_timeline_starts_when_the_kernel_says_the_process_started()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        double ageMs = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        var timeline = StartTimeline.OfThisProcess(root);
        timeline.Record(StartPhase.ConfigLoaded, timeline.Now);

        var shimStart = Records(root, output)[0];
        Assert.Equal(StartPhase.ShimStart, shimStart.Phase);
        // /proc counts in hundredths of a second; the test runner has been up far longer than that.
        Assert.InRange(shimStart.AtMs, ageMs - 1000, ageMs + 1000);
        Assert.True(shimStart.AtMs > 0);
    }

    [Fact]
    public void The_null_timeline_logs_nothing_and_still_tells_the_time()
    {
        long before = Stopwatch.GetTimestamp();
        long end = StartTimeline.Null.Record(StartPhase.Exit, StartTimeline.Null.Now);
        Assert.InRange(end, before, Stopwatch.GetTimestamp());
    }

    private static List<(string Phase, double AtMs, double TookMs)> Records(RuntimeLog root, StringWriter output)
    {
        Assert.True(root.Flush(TimeSpan.FromSeconds(10)));
        return [.. output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            Match m = PhaseFields().Match(line);
            Assert.True(m.Success, line);
            return (m.Groups[1].Value, double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        })];
    }

    private static string[] LinesWith(string text, string part) => [.. text.Split('\n').Where(l => l.Contains(part, StringComparison.Ordinal))];

    [GeneratedRegex(" phase=([a-z_]+) at_ms=([0-9]+\\.[0-9]) took_ms=([0-9]+\\.[0-9])( cached=(true|false))? runtime=io\\.containerd\\.katasharp\\.v2$")]
    private static partial Regex PhaseFields();

    [GeneratedRegex(" phase=[a-z_]+ (.*) runtime=")]
    private static partial Regex FieldsAfterPhase();

    /// <summary>A clock that moves only when told to, in <see cref="Stopwatch.Frequency"/> units.</summary>
    private sealed class FakeClock(long start)
    {
        public long Now { get; private set; } = start;

        public long Read() => Now;

        public void Advance(double milliseconds) => Now += (long)(milliseconds * OneMs);
    }
}
