using System.Diagnostics.Metrics;
using KataSharp.Linux.Processes;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// One sandbox's metrics as System.Diagnostics.Metrics instruments on a Meter of its own — observable counters and gauges
/// over the VMM's counters, the shim's and the VMM process's /proc numbers, the drop counters and the guest's per-container
/// cgroup stats — rendered in the Prometheus text format at each scrape: the sources are read (the VMM and the agent within
/// <see cref="SourceTimeout"/> each), then a MeterListener records every observable instrument of this Meter. One scrape at a time.
/// </summary>
public sealed class SandboxMetrics : IDisposable
{
    public const string Prefix = "katasharp_";

    /// <summary>How long the VMM and the agent each get to answer a scrape; past it their series are left out.</summary>
    public static readonly TimeSpan SourceTimeout = TimeSpan.FromSeconds(2);

    private readonly SandboxMetricsSources _sources;
    private readonly Meter _meter = new("KataSharp.Sandbox");
    private readonly MeterListener _listener = new();
    private readonly List<Instrument> _instruments = [];
    private readonly SemaphoreSlim _scrape = new(1, 1);
    private readonly Dictionary<Instrument, List<MetricSeries>> _collected = [];
    private VmmMetricsReport _vmm = VmmMetricsReport.None;
    private ProcessStatus? _shim, _vmmProcess;
    private IReadOnlyList<(string Id, ContainerStats Stats)> _guest = [];
    private long _guestFailures;

    public SandboxMetrics(SandboxMetricsSources sources)
    {
        _sources = sources;
        foreach (var (name, help) in sources.VmmMetricHelp.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Counter($"vmm_{name}_total", help, () => VmmSeries(name));
        }
        Counter("vmm_metrics_rejected_total", "parts of the VMM's metrics answers dropped by the shim (unknown names, bad labels, non-numbers, too many series)",
            () => One(_vmm.Rejected));
        Gauge("vmm_up", "1 when the VMM answered this scrape's metrics request", () => One(_vmm.Answered ? 1 : 0));
        Gauge("shim_resident_bytes", "the shim process's resident memory", () => Optional(_shim?.ResidentBytes));
        Gauge("shim_threads", "the shim process's threads", () => Optional(_shim?.Threads));
        Gauge("shim_open_fds", "the shim process's open file descriptors", () => Optional(_shim?.OpenDescriptors));
        Gauge("vmm_process_resident_bytes", "the confined VMM process's resident memory (guest RAM it touched included)", () => Optional(_vmmProcess?.ResidentBytes));
        Gauge("vmm_process_threads", "the confined VMM process's threads", () => Optional(_vmmProcess?.Threads));
        Counter("shim_dropped_total", "what the shim dropped because a bound was reached (guest log lines, OOM events, log records)",
            () => sources.Drops.Values.Select(v => new Measurement<double>(v.Value, new KeyValuePair<string, object?>("what", v.Key))));
        Counter("guest_container_cpu_seconds_total", "CPU time of the container's cgroup in the guest", () => Guest(s => s.CpuUsageMicros / 1e6));
        Gauge("guest_container_memory_usage_bytes", "memory use of the container's cgroup in the guest", () => Guest(s => s.MemoryUsageBytes));
        Gauge("guest_container_memory_limit_bytes", "memory limit of the container's cgroup in the guest", () => Guest(s => s.MemoryLimitBytes));
        Gauge("guest_container_pids", "processes in the container's cgroup in the guest", () => Guest(s => s.PidsCurrent));
        Counter("guest_stats_failures_total", "container stats requests to the agent that failed or timed out", () => One(Interlocked.Read(ref _guestFailures)));

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            _collected[instrument].Add(new MetricSeries([.. Labels(tags)], value)));
        _listener.Start();
    }

    public async Task<string> RenderAsync(CancellationToken cancellationToken)
    {
        await _scrape.WaitAsync(cancellationToken);
        try
        {
            _vmm = await Bounded(_sources.Vmm, VmmMetricsReport.None, cancellationToken);
            _shim = ProcessStatus.Read(Environment.ProcessId, countDescriptors: true);
            _vmmProcess = _vmm.ProcessId is int pid ? ProcessStatus.Read(pid, countDescriptors: false) : null;
            _guest = await GuestStatsAsync(cancellationToken);
            foreach (Instrument instrument in _instruments)
            {
                _collected[instrument] = [];
            }
            _listener.RecordObservableInstruments();
            return PrometheusTextWriter.Write(_instruments.Select(i =>
                new MetricFamily(i.Name, i.Description ?? i.Name, i is ObservableCounter<double> ? MetricKind.Counter : MetricKind.Gauge, _collected[i])));
        }
        finally
        {
            _scrape.Release();
        }
    }

    private async Task<IReadOnlyList<(string, ContainerStats)>> GuestStatsAsync(CancellationToken cancellationToken)
    {
        var stats = new List<(string, ContainerStats)>();
        foreach (string id in _sources.Containers())
        {
            ContainerStats? container = await Bounded<ContainerStats?>(async t => await _sources.ContainerStats(id, t), null, cancellationToken);
            if (container is null)
            {
                Interlocked.Increment(ref _guestFailures);
                continue;
            }
            stats.Add((id, container));
        }
        return stats;
    }

    /// <summary>A source's answer within <see cref="SourceTimeout"/>, else <paramref name="fallback"/>: a silent VMM or agent
    /// leaves its series out instead of holding the scrape.</summary>
    private static async Task<T> Bounded<T>(Func<CancellationToken, Task<T>> source, T fallback, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(SourceTimeout);
        try
        {
            return await source(deadline.Token).WaitAsync(deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or RuntimeException or IOException or TimeoutException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return fallback;
        }
    }

    private IEnumerable<Measurement<double>> VmmSeries(string name) =>
        _vmm.Samples.Where(s => s.Name == name).Select(s => new Measurement<double>(s.Value, s.Labels.Select(l => new KeyValuePair<string, object?>(l.Key, l.Value))));

    private IEnumerable<Measurement<double>> Guest(Func<ContainerStats, double> value) =>
        _guest.Select(g => new Measurement<double>(value(g.Stats), new KeyValuePair<string, object?>("container_id", g.Id)));

    private static IEnumerable<Measurement<double>> One(double value) => [new(value)];

    private static IEnumerable<Measurement<double>> Optional(double? value) => value is double v ? [new(v)] : [];

    private static IEnumerable<KeyValuePair<string, string>> Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new List<KeyValuePair<string, string>>(tags.Length);
        foreach (var tag in tags)
        {
            labels.Add(new(tag.Key, tag.Value?.ToString() ?? ""));
        }
        return labels;
    }

    private void Counter(string name, string help, Func<IEnumerable<Measurement<double>>> observe) =>
        _instruments.Add(_meter.CreateObservableCounter(Prefix + name, observe, unit: null, description: help));

    private void Gauge(string name, string help, Func<IEnumerable<Measurement<double>>> observe) =>
        _instruments.Add(_meter.CreateObservableGauge(Prefix + name, observe, unit: null, description: help));

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
        _scrape.Dispose();
    }
}
