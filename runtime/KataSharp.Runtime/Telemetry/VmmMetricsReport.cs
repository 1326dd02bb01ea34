namespace KataSharp.Runtime.Telemetry;

/// <summary>What the VMM said about its counters at one scrape: the accepted samples, how many parts of its answer the
/// shim has dropped so far (unknown names, bad labels, non-numbers, past the series bound), whether it answered at all,
/// and the pid of the VMM's own process when it runs apart from the shim.</summary>
public sealed record VmmMetricsReport(IReadOnlyList<MetricSample> Samples, long Rejected, bool Answered, int? ProcessId)
{
    public static VmmMetricsReport None { get; } = new([], 0, false, null);
}
