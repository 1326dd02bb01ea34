namespace KataSharp.Runtime.Telemetry;

/// <summary>One time series of a family: its labels (in order) and its current value.</summary>
public sealed record MetricSeries(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value);
