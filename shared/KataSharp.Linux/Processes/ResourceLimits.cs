using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.ResourceCalls;

namespace KataSharp.Linux.Processes;

/// <summary>setrlimit(2)/getrlimit(2) for this process (soft and hard limit alike: a lowered hard limit cannot be raised back
/// without CAP_SYS_RESOURCE).</summary>
public static unsafe class ResourceLimits
{
    public static void Set(ResourceLimit limit, ulong value)
    {
        var rlimit = new RLimit { rlim_cur = value, rlim_max = value };
        Libc.Check(setrlimit(Resource(limit), &rlimit), $"setrlimit({limit}, {value})");
    }

    /// <summary>The soft limit.</summary>
    public static ulong Get(ResourceLimit limit)
    {
        RLimit rlimit;
        Libc.Check(getrlimit(Resource(limit), &rlimit), $"getrlimit({limit})");
        return rlimit.rlim_cur;
    }

    private static int Resource(ResourceLimit limit) => limit switch
    {
        ResourceLimit.CoreFileBytes => RLIMIT_CORE,
        ResourceLimit.Processes => RLIMIT_NPROC,
        ResourceLimit.OpenFiles => RLIMIT_NOFILE,
        _ => throw new ArgumentOutOfRangeException(nameof(limit)),
    };
}
