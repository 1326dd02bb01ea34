using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SignalCalls;
using static KataSharp.Linux.Interop.WaitCalls;

namespace KataSharp.Linux.Processes;

/// <summary>
/// waitid(2) without blocking: reap one known child, or peek (WNOWAIT) at any exited child
/// so a reaper can decide whose it is before reaping it.
/// </summary>
public static unsafe class ChildWait
{
    /// <summary>Reaps <paramref name="pid"/> if it has exited; null while it runs.
    /// Throws ECHILD when <paramref name="pid"/> is not our child (or was reaped already).</summary>
    public static ChildStatus? TryReap(int pid)
    {
        SigInfo info = default;
        while (waitid(P_PID, pid, &info, WEXITED | WNOHANG) < 0)
        {
            Libc.IsInterrupted($"waitid(P_PID {pid})");
        }
        return info.si_pid == 0 ? null : ToStatus(info);
    }

    /// <summary>Waits for <paramref name="pid"/> to exit and reaps it (a thread of its own waits here, not a poll).</summary>
    public static ChildStatus Reap(int pid)
    {
        SigInfo info = default;
        while (waitid(P_PID, pid, &info, WEXITED) < 0)
        {
            Libc.IsInterrupted($"waitid(P_PID {pid})");
        }
        return ToStatus(info);
    }

    /// <summary>The pid of some exited, not yet reaped child (left waitable), or null when none has exited.</summary>
    public static int? PeekAnyExited()
    {
        SigInfo info = default;
        while (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
        {
            if (Libc.LastErrno == (int)Errno.ECHILD)
            {
                return null; // no children at all
            }
            Libc.IsInterrupted("waitid(P_ALL, WNOWAIT)");
        }
        return info.si_pid == 0 ? null : info.si_pid;
    }

    private static ChildStatus ToStatus(SigInfo info) => info.si_code switch
    {
        CLD_EXITED => ChildStatus.Exited(info.si_pid, info.si_status),
        CLD_KILLED or CLD_DUMPED => ChildStatus.Killed(info.si_pid, info.si_status),
        _ => throw new LinuxException($"waitid(P_PID {info.si_pid})", (int)Errno.EINVAL, $"unexpected si_code {info.si_code} for an exited child"),
    };
}
