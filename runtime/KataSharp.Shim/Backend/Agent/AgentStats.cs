using ContainerStats = KataSharp.Runtime.Model.ContainerStats;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>The agent's cgroup v2 numbers as the runtime's <see cref="ContainerStats"/> (memory.stat keys as the kernel names them).</summary>
public static class AgentStats
{
    public static ContainerStats From(KataSharp.Agent.Protocol.ContainerStats stats)
    {
        ulong Stat(string key) => stats.Memory?.Stat.TryGetValue(key, out ulong value) == true ? value : 0;
        return new ContainerStats(
            CpuUsageMicros: stats.Cpu?.UsageUsec ?? 0,
            CpuUserMicros: stats.Cpu?.UserUsec ?? 0,
            CpuSystemMicros: stats.Cpu?.SystemUsec ?? 0,
            MemoryUsageBytes: stats.Memory?.UsageBytes ?? 0,
            MemoryLimitBytes: stats.Memory?.LimitBytes ?? 0,
            MemoryAnonBytes: Stat("anon"),
            MemoryFileBytes: Stat("file"),
            MemoryInactiveFileBytes: Stat("inactive_file"),
            PageFaults: Stat("pgfault"),
            MajorPageFaults: Stat("pgmajfault"),
            PidsCurrent: stats.Pids?.Current ?? 0,
            PidsLimit: stats.Pids?.Limit ?? 0);
    }
}
