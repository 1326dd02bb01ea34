using System.Globalization;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// What a Kubernetes pod asks for in total, as containerd's CRI plugin passes it on the sandbox
/// container: the sums of its containers' limits (kubelet 1.23+ puts them in PodSandboxConfig).
/// Absent for ctr and for pods without limits.
/// </summary>
public sealed record PodResources(long? MemoryBytes, long? CpuQuota, long? CpuPeriod)
{
    public const string MemoryAnnotation = "io.kubernetes.cri.sandbox-memory";
    public const string CpuQuotaAnnotation = "io.kubernetes.cri.sandbox-cpu-quota";
    public const string CpuPeriodAnnotation = "io.kubernetes.cri.sandbox-cpu-period";

    public static readonly PodResources None = new(null, null, null);

    /// <summary>CPUs the pod may use (quota / period, rounded up), or 0 when it has no CPU limit.</summary>
    public int Cpus => CpuQuota is > 0 && CpuPeriod is > 0 ? (int)Math.Min(int.MaxValue, (CpuQuota.Value + CpuPeriod.Value - 1) / CpuPeriod.Value) : 0;

    /// <summary>The pod's memory in MiB (rounded up), or 0 when it has no memory limit.</summary>
    public int MemoryMib => MemoryBytes is > 0 ? (int)Math.Min(int.MaxValue, (MemoryBytes.Value + (1 << 20) - 1) >> 20) : 0;

    /// <summary>Reads the CRI sandbox annotations; a malformed value fails naming the annotation.</summary>
    public static PodResources FromAnnotations(IReadOnlyDictionary<string, string> annotations) =>
        new(Number(annotations, MemoryAnnotation), Number(annotations, CpuQuotaAnnotation), Number(annotations, CpuPeriodAnnotation));

    private static long? Number(IReadOnlyDictionary<string, string> annotations, string key)
    {
        if (!annotations.TryGetValue(key, out string? text) || text.Length == 0)
        {
            return null;
        }
        // kubelet writes -1 for "no quota": treat every non-positive value as absent.
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"annotation {key}: \"{text}\" is not a whole number");
        }
        return value > 0 ? value : null;
    }
}
