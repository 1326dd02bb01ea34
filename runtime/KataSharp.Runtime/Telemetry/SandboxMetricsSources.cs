using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Telemetry;

/// <summary>Where one sandbox's metrics come from: the VMM's counters (already checked), the VMM process's pid for its
/// RSS and threads, the pod's containers and their guest cgroup stats (the agent's stats call), and the shim's drop counters.</summary>
public sealed record SandboxMetricsSources(
    Func<CancellationToken, Task<VmmMetricsReport>> Vmm,
    IReadOnlyDictionary<string, string> VmmMetricHelp,
    Func<IReadOnlyList<string>> Containers,
    Func<string, CancellationToken, Task<ContainerStats>> ContainerStats,
    DropCounters Drops);
