using Google.Protobuf.WellKnownTypes;
using KataSharp.Agent.Engine.Cgroups;
using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Devices;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Engine.Rootfs;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Protocol;
using DomainContainerState = KataSharp.Agent.Engine.Containers.ContainerState;
using DomainProcessState = KataSharp.Agent.Engine.Processes.ProcessState;

namespace KataSharp.Agent.Services;

/// <summary>Protobuf ⇄ engine types; protobuf never reaches the engine (translate at the edge).</summary>
public static class ProtocolTranslation
{
    public static StdioRequest ToDomain(ProcessIo? io) => io is null ? StdioRequest.None : new StdioRequest(io.Stdin, io.Stdout, io.Stderr);

    public static RootfsRequest? ToDomain(RootFilesystem? rootfs) => rootfs is null
        ? null
        : new RootfsRequest(rootfs.Layers.Select(l => new LayerSpec(
            l.SourceCase == Layer.SourceOneofCase.BlockSerial ? l.BlockSerial : null,
            l.SourceCase == Layer.SourceOneofCase.GuestDirectory ? l.GuestDirectory : null,
            l.Fstype)).ToList(), rootfs.ScratchSizeBytes);

    /// <summary>The block volumes as the engine takes them (it validates them against the spec).</summary>
    public static IReadOnlyList<BlockVolumeRequest> ToDomain(IEnumerable<BlockVolume> volumes) =>
        volumes.Select(v => new BlockVolumeRequest(v.BlockSerial, v.Destination)).ToList();

    /// <summary>Null without a join; an empty container id or an unknown or unspecified type is INVALID_ARGUMENT naming it.</summary>
    public static NamespaceJoinRequest? ToDomain(NamespaceJoin? join)
    {
        if (join is null)
        {
            return null;
        }
        if (join.ContainerId.Length == 0)
        {
            throw AgentException.Invalid("join_namespaces.container_id", "names no container");
        }
        NamespaceSet types = NamespaceSet.None;
        for (int i = 0; i < join.NamespaceTypes.Count; i++)
        {
            types |= join.NamespaceTypes[i] switch
            {
                SharedNamespace.Ipc => NamespaceSet.Ipc,
                SharedNamespace.Uts => NamespaceSet.Uts,
                SharedNamespace.Pid => NamespaceSet.Pid,
                SharedNamespace other => throw AgentException.Invalid($"join_namespaces.namespace_types[{i}]", $"{other} is not a namespace type that can be joined (ipc, uts, pid)"),
            };
        }
        if (types == NamespaceSet.None)
        {
            throw AgentException.Invalid("join_namespaces.namespace_types", "lists no namespace to join");
        }
        return new NamespaceJoinRequest(join.ContainerId, types);
    }

    public static Protocol.ContainerState ToProtocol(DomainContainerState state) => state switch
    {
        DomainContainerState.Created => Protocol.ContainerState.Created,
        DomainContainerState.Running => Protocol.ContainerState.Running,
        DomainContainerState.Paused => Protocol.ContainerState.Paused,
        DomainContainerState.Stopped => Protocol.ContainerState.Stopped,
        _ => Protocol.ContainerState.Unspecified,
    };

    public static Protocol.ProcessState ToProtocol(DomainProcessState state) => state switch
    {
        DomainProcessState.Created => Protocol.ProcessState.Created,
        DomainProcessState.Running => Protocol.ProcessState.Running,
        DomainProcessState.Stopped => Protocol.ProcessState.Stopped,
        _ => Protocol.ProcessState.Unspecified,
    };

    public static WaitProcessResponse ToProtocol(ProcessExit exit) => new()
    {
        ExitCode = exit.ExitCode,
        Signal = (uint)exit.Signal,
        ExitedAt = Timestamp.FromDateTimeOffset(exit.At),
    };

    public static ContainerStats ToProtocol(CgroupStatistics s)
    {
        var stats = new ContainerStats
        {
            Cpu = new CpuStats
            {
                UsageUsec = s.Cpu.GetValueOrDefault("usage_usec"),
                UserUsec = s.Cpu.GetValueOrDefault("user_usec"),
                SystemUsec = s.Cpu.GetValueOrDefault("system_usec"),
                NrPeriods = s.Cpu.GetValueOrDefault("nr_periods"),
                NrThrottled = s.Cpu.GetValueOrDefault("nr_throttled"),
                ThrottledUsec = s.Cpu.GetValueOrDefault("throttled_usec"),
            },
            Memory = new MemoryStats
            {
                UsageBytes = s.MemoryCurrent,
                LimitBytes = s.MemoryMax,
                OomEvents = s.MemoryEvents.GetValueOrDefault("oom"),
                OomKillEvents = s.MemoryEvents.GetValueOrDefault("oom_kill"),
            },
            Pids = new PidsStats { Current = s.PidsCurrent, Limit = s.PidsMax },
        };
        foreach ((string key, ulong value) in s.MemoryStat)
        {
            stats.Memory.Stat[key] = value;
        }
        foreach ((uint major, uint minor, IReadOnlyDictionary<string, ulong> v) in s.Io)
        {
            stats.Io.Add(new IoDeviceStats
            {
                Major = major, Minor = minor,
                ReadBytes = v.GetValueOrDefault("rbytes"), WriteBytes = v.GetValueOrDefault("wbytes"),
                ReadIos = v.GetValueOrDefault("rios"), WriteIos = v.GetValueOrDefault("wios"),
            });
        }
        return stats;
    }

    public static OomEvent ToProtocol(OomNotice notice) => new()
    {
        ContainerId = notice.ContainerId,
        OomKillCount = notice.OomKillCount,
        At = Timestamp.FromDateTimeOffset(notice.At),
    };
}
