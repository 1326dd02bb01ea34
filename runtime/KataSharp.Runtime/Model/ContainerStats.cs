namespace KataSharp.Runtime.Model;

/// <summary>A container's cgroup v2 counters inside the guest, as the agent reports them.</summary>
public sealed record ContainerStats(
    ulong CpuUsageMicros,
    ulong CpuUserMicros,
    ulong CpuSystemMicros,
    ulong MemoryUsageBytes,
    ulong MemoryLimitBytes,
    ulong MemoryAnonBytes,
    ulong MemoryFileBytes,
    ulong MemoryInactiveFileBytes,
    ulong PageFaults,
    ulong MajorPageFaults,
    ulong PidsCurrent,
    ulong PidsLimit);
