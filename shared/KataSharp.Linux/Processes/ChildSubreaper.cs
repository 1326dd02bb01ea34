using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.PrctlCalls;

namespace KataSharp.Linux.Processes;

/// <summary>PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented to us instead of to pid 1,
/// so the agent sees (and reaps) every process its containers leave behind.</summary>
public static class ChildSubreaper
{
    public static void Enable() => Libc.Check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");

    public static unsafe bool IsEnabled
    {
        get
        {
            int value = 0;
            Libc.Check(prctl(PR_GET_CHILD_SUBREAPER, (ulong)&value, 0, 0, 0), "prctl(PR_GET_CHILD_SUBREAPER)");
            return value != 0;
        }
    }
}
