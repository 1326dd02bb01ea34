using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Memory;

/// <summary>
/// Whether this process's anonymous memory may be backed by transparent huge pages (prctl PR_SET_THP_DISABLE). The
/// setting is the whole process's, is inherited by its children and survives execve.
/// </summary>
public static class TransparentHugePages
{
    /// <summary>Off for this process (and the children it starts): where the host's THP mode is "always", a 2 MiB page
    /// backs a heap or a thread stack that touched one byte of it.</summary>
    public static void DisableForThisProcess() => Set(disabled: true);

    /// <summary>Back on (what the host's mode allows): for a process that maps guest RAM after a parent turned them off.</summary>
    public static void AllowForThisProcess() => Set(disabled: false);

    /// <summary>True when this process has them turned off (PR_GET_THP_DISABLE).</summary>
    public static bool DisabledForThisProcess => Libc.Check(PrctlCalls.prctl(PrctlCalls.PR_GET_THP_DISABLE, 0, 0, 0, 0), "prctl(PR_GET_THP_DISABLE)") == 1;

    private static void Set(bool disabled) =>
        Libc.Check(PrctlCalls.prctl(PrctlCalls.PR_SET_THP_DISABLE, disabled ? 1UL : 0UL, 0, 0, 0), $"prctl(PR_SET_THP_DISABLE, {(disabled ? 1 : 0)})");
}
