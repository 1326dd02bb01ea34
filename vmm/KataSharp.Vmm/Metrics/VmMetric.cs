namespace KataSharp.Vmm.Metrics;

/// <summary>One counter of the VMM as structured data (a name, its labels, a value), never text: the shim checks each part
/// against what it knows before exporting it, since a compromised VMM could send anything.</summary>
public sealed record VmMetric(string Name, IReadOnlyDictionary<string, string> Labels, long Value);
