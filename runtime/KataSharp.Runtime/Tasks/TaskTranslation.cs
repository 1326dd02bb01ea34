using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Containerd.Wire.Cgroups;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Tasks;

/// <summary>containerd Task API messages ↔ domain values. Protobuf types go no further than this file and TaskService.</summary>
public static class TaskTranslation
{
    public static CreateTaskCommand ToCommand(CreateTaskRequest request)
    {
        if (!string.IsNullOrEmpty(request.Checkpoint) || !string.IsNullOrEmpty(request.ParentCheckpoint))
        {
            throw new RuntimeException(RuntimeError.NotImplemented, "restoring from a checkpoint is not supported by katasharp");
        }
        var mounts = request.Rootfs.Select(m => new RootfsMount(m.Type, m.Source, m.Options.ToList())).ToList();
        return new CreateTaskCommand(
            request.Id,
            request.Bundle,
            mounts,
            ProcessStdio.FromPaths(request.Stdin, request.Stdout, request.Stderr, request.Terminal),
            ConfigPathOf(request.Options));
    }

    public static ExecCommand ToCommand(ExecProcessRequest request)
    {
        if (request.Spec is null || request.Spec.Value.IsEmpty)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"exec {request.ExecId}: the request carries no process spec");
        }
        return new ExecCommand(
            ProcessKey.From(request.Id, request.ExecId),
            ProcessStdio.FromPaths(request.Stdin, request.Stdout, request.Stderr, request.Terminal),
            request.Spec.Value.ToStringUtf8());
    }

    public static string ResourcesJson(UpdateTaskRequest request) =>
        request.Resources is { } any && !any.Value.IsEmpty
            ? any.Value.ToStringUtf8()
            : throw new RuntimeException(RuntimeError.InvalidArgument, $"update of {request.Id}: no resources given");

    public static StateResponse ToResponse(ProcessView view) => new()
    {
        Id = view.Key.ContainerId,
        ExecId = view.Key.ExecId ?? "",
        Bundle = view.Bundle,
        Pid = view.Pid,
        Status = view.State switch
        {
            ProcessState.Created => Status.Created,
            ProcessState.Running => Status.Running,
            ProcessState.Paused => Status.Paused,
            ProcessState.Stopped or ProcessState.Deleted => Status.Stopped,
            _ => Status.Unknown,
        },
        Stdin = view.Stdio.Stdin ?? "",
        Stdout = view.Stdio.Stdout ?? "",
        Stderr = view.Stdio.Stderr ?? "",
        Terminal = view.Stdio.Terminal,
        ExitStatus = view.Exit?.Code ?? 0,
        ExitedAt = view.Exit is { } exit ? Timestamp.FromDateTimeOffset(exit.ExitedAt) : null,
    };

    public static DeleteResponse ToDeleteResponse(uint pid, ExitStatus exit) => new()
    {
        Pid = pid,
        ExitStatus = exit.Code,
        ExitedAt = Timestamp.FromDateTimeOffset(exit.ExitedAt),
    };

    public static WaitResponse ToWaitResponse(ExitStatus exit) => new()
    {
        ExitStatus = exit.Code,
        ExitedAt = Timestamp.FromDateTimeOffset(exit.ExitedAt),
    };

    public static PidsResponse ToPidsResponse(IReadOnlyList<int> pids)
    {
        var response = new PidsResponse();
        response.Processes.AddRange(pids.Select(pid => new ProcessInfo { Pid = (uint)pid }));
        return response;
    }

    /// <summary>cgroup v2 metrics, the form `ctr task metrics` and CRI stats decode.</summary>
    public static StatsResponse ToStatsResponse(ContainerStats stats) => new()
    {
        Stats = TypeUrls.Pack(new Metrics
        {
            Pids = new PidsStat { Current = stats.PidsCurrent, Limit = stats.PidsLimit },
            Cpu = new CPUStat { UsageUsec = stats.CpuUsageMicros, UserUsec = stats.CpuUserMicros, SystemUsec = stats.CpuSystemMicros },
            Memory = new MemoryStat
            {
                Usage = stats.MemoryUsageBytes,
                UsageLimit = stats.MemoryLimitBytes,
                Anon = stats.MemoryAnonBytes,
                File = stats.MemoryFileBytes,
                InactiveFile = stats.MemoryInactiveFileBytes,
                Pgfault = stats.PageFaults,
                Pgmajfault = stats.MajorPageFaults,
            },
        }),
    };

    /// <summary>runtimeoptions.v1.Options.config_path, when containerd sent those options.</summary>
    public static string? ConfigPathOf(Any? options)
    {
        if (options is null || TypeUrls.MessageName(options.TypeUrl) != Options.Descriptor.FullName)
        {
            return null;
        }
        string path = Options.Parser.ParseFrom(options.Value).ConfigPath;
        return string.IsNullOrEmpty(path) ? null : path;
    }
}
