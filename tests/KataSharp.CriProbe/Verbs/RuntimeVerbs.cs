using KataSharp.CriProbe.Cli;
using KataSharp.CriProbe.Connection;
using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Verbs;

/// <summary>runtime-status, stats and reopen-log: what the kubelet asks besides the lifecycle calls.</summary>
internal static class RuntimeVerbs
{
    /// <summary>
    /// Status: one `condition_TYPE=true|false` line per condition (RuntimeReady, NetworkReady), and
    /// for a false one its reason and message, as the kubelet reports them in the node's Ready condition.
    /// </summary>
    public static async Task<int> RuntimeStatusAsync(CriSession cri, ProbeArguments args)
    {
        args.EnsureAllUsed();
        StatusResponse r = await cri.Runtime.StatusAsync(new StatusRequest(), cri.Call());
        foreach (RuntimeCondition condition in r.Status?.Conditions ?? [])
        {
            Console.WriteLine($"condition_{condition.Type}={(condition.Status ? "true" : "false")}");
            if (!condition.Status)
            {
                Console.WriteLine($"condition_{condition.Type}_reason={condition.Reason}");
                Console.WriteLine($"condition_{condition.Type}_message={condition.Message.ReplaceLineEndings(" ")}");
            }
        }
        return 0;
    }

    /// <summary>
    /// ContainerStats: the three numbers the kubelet's summary API takes from CRI; `unset` when the
    /// runtime did not measure one (the wrapper message is absent, which is not the same as 0).
    /// timestamp_set is 1 when the CPU sample carries its collection time (CRI: "Must be > 0").
    /// </summary>
    public static async Task<int> StatsAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        args.EnsureAllUsed();
        ContainerStatsResponse r = await cri.Runtime.ContainerStatsAsync(new ContainerStatsRequest { ContainerId = id }, cri.Call());
        ContainerStats? stats = r.Stats;
        Console.WriteLine($"cpu_usage_core_nanoseconds={Value(stats?.Cpu?.UsageCoreNanoSeconds)}");
        Console.WriteLine($"memory_working_set_bytes={Value(stats?.Memory?.WorkingSetBytes)}");
        Console.WriteLine($"writable_layer_used_bytes={Value(stats?.WritableLayer?.UsedBytes)}");
        Console.WriteLine($"timestamp_set={(stats?.Cpu?.Timestamp > 0 ? 1 : 0)}");
        return 0;
    }

    /// <summary>ReopenContainerLog: what the kubelet calls after rotating a container's log file.</summary>
    public static async Task<int> ReopenLogAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        args.EnsureAllUsed();
        await cri.Runtime.ReopenContainerLogAsync(new ReopenContainerLogRequest { ContainerId = id }, cri.Call());
        return 0;
    }

    private static string Value(UInt64Value? value) => value is null ? "unset" : value.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
