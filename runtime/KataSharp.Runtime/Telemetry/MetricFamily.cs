namespace KataSharp.Runtime.Telemetry;

/// <summary>One metric (a Prometheus family): name, help text, type, and its series.</summary>
public sealed record MetricFamily(string Name, string Help, MetricKind Kind, IReadOnlyList<MetricSeries> Series);
