using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Processes;

/// <summary>kill(2) with the "already gone" case as a result instead of an exception.</summary>
public static class ProcessSignal
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="groupId"/> (kill(-group)); false
    /// when the group has no process left. For a session leader's pid (its group) only: a positive id, never 0 or -1.</summary>
    public static bool SendToGroup(int groupId, int signal)
    {
        if (groupId <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groupId), groupId, "only a positive process group id is signalled");
        }
        return Kill(-groupId, signal);
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when no such process exists (ESRCH).</summary>
    public static bool Send(int pid, int signal)
    {
        if (pid <= 0)
        {
            // kill(0/-1/-pgid) would hit groups of processes; a reaper bug must never become that.
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "only single, positive pids are signalled");
        }
        return Kill(pid, signal);
    }

    private static bool Kill(int target, int signal)
    {
        if (SignalCalls.kill(target, signal) == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        if (errno == (int)Errno.ESRCH)
        {
            return false;
        }
        throw new LinuxException($"kill({target}, {signal})", errno);
    }
}
