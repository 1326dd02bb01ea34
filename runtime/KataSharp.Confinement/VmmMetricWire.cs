namespace KataSharp.Confinement;

/// <summary>One VMM counter as the VMM sends it in its "metrics" reply.</summary>
public sealed record VmmMetricWire(string Name, Dictionary<string, string> Labels, long Value);
