using System.Globalization;
using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Memory;

/// <summary>
/// The managed heap's figures after the last collection (<see cref="GC.GetGCMemoryInfo()"/>), as structured fields of one
/// debug record: what the shim's own heap holds of the host memory a pod costs (issue 15), next to /proc's view.
/// </summary>
public static class GcHeapReport
{
    /// <summary>One debug record "gc heap: WHEN" with the heap's sizes in KiB; nothing when the log is above debug.</summary>
    public static void Log(RuntimeLog log, string when)
    {
        if (!log.IsDebugEnabled)
        {
            return;
        }
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        log.Debug($"gc heap: {when}", null,
        [
            new LogField("heap_kib", Kib(info.HeapSizeBytes)),
            new LogField("committed_kib", Kib(info.TotalCommittedBytes)),
            new LogField("fragmented_kib", Kib(info.FragmentedBytes)),
            new LogField("promoted_kib", Kib(info.PromotedBytes)),
            new LogField("gen0_kib", Kib(Generation(info, 0))),
            new LogField("gen1_kib", Kib(Generation(info, 1))),
            new LogField("gen2_kib", Kib(Generation(info, 2))),
            new LogField("loh_kib", Kib(Generation(info, 3))),
            new LogField("poh_kib", Kib(Generation(info, 4))),
            new LogField("collections", string.Create(CultureInfo.InvariantCulture,
                $"{GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}")),
        ]);
    }

    private static long Generation(GCMemoryInfo info, int index) =>
        index < info.GenerationInfo.Length ? info.GenerationInfo[index].SizeAfterBytes : 0;

    private static string Kib(long bytes) => (bytes / 1024).ToString(CultureInfo.InvariantCulture);
}
