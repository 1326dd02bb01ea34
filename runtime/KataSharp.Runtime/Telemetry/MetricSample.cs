namespace KataSharp.Runtime.Telemetry;

/// <summary>One VMM counter the shim accepted (known name, checked labels, a finite value).</summary>
public sealed record MetricSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value);
