using System.Net.Sockets;
using KataSharp.Runtime.Persistence;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// `katasharp monitor`'s view (as kata-monitor's): every sandbox's metrics socket asked at each scrape, in parallel, each
/// within <see cref="SandboxTimeout"/>; the answers merged family by family with a <c>sandbox_id</c> label first on every
/// series (a label of that name from a shim is replaced, so no answer can pass for another sandbox's). A sandbox that does
/// not answer in time, or answers with something other than metrics, is left out and counted; the monitor's own counters
/// follow.
/// </summary>
public sealed class SandboxMonitor(SandboxStateStore store, TimeSpan sandboxTimeout)
{
    public const string SandboxLabel = "sandbox_id";

    private long _scrapes, _failures;

    public TimeSpan SandboxTimeout { get; } = sandboxTimeout;

    public async Task<string> RenderAsync(CancellationToken cancellationToken)
    {
        long scrapes = Interlocked.Increment(ref _scrapes);
        var sandboxes = SandboxMetricsSocket.All(store);
        string?[] answers = await Task.WhenAll(sandboxes.Select(s => AskAsync(s.Socket, cancellationToken)));
        var families = new Dictionary<string, (MetricFamily Family, List<MetricSeries> Series)>(StringComparer.Ordinal);
        var order = new List<string>();
        int answered = 0;
        for (int i = 0; i < sandboxes.Count; i++)
        {
            if (answers[i] is not { } text)
            {
                Interlocked.Increment(ref _failures);
                continue;
            }
            answered++;
            foreach (MetricFamily family in PrometheusTextParser.Parse(text, out _))
            {
                if (!families.TryGetValue(family.Name, out var merged))
                {
                    merged = (family, []);
                    families[family.Name] = merged;
                    order.Add(family.Name);
                }
                string id = sandboxes[i].SandboxId;
                merged.Series.AddRange(family.Series.Select(s =>
                    new MetricSeries([new(SandboxLabel, id), .. s.Labels.Where(l => l.Key != SandboxLabel)], s.Value)));
            }
        }
        MetricFamily[] own =
        [
            new("katasharp_monitor_scrapes_total", "scrapes of this monitor", MetricKind.Counter, [new([], scrapes)]),
            new("katasharp_monitor_sandbox_failures_total", "sandboxes that did not answer a scrape in time or answered no metrics",
                MetricKind.Counter, [new([], Interlocked.Read(ref _failures))]),
            new("katasharp_monitor_sandboxes", "sandboxes that answered this scrape", MetricKind.Gauge, [new([], answered)]),
        ];
        return PrometheusTextWriter.Write([.. order.Select(name => families[name].Family with { Series = families[name].Series }), .. own]);
    }

    private async Task<string?> AskAsync(string socket, CancellationToken cancellationToken)
    {
        try
        {
            return await MetricsHttpClient.GetAsync(new UnixDomainSocketEndPoint(socket), SandboxTimeout, cancellationToken);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
