using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Processes;

/// <summary>kill(2) with the "already gone" case as a result instead of an exception.</summary>
public static class ProcessSignal
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when no such process exists (ESRCH).</summary>
    public static bool Send(int pid, int signal)
    {
        if (pid <= 0)
        {
            // kill(0/-1/-pgid) would hit groups of processes; a reaper bug must never become that.
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "only single, positive pids are signalled");
        }
        if (SignalCalls.kill(pid, signal) == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        if (errno == (int)Errno.ESRCH)
        {
            return false;
        }
        throw new LinuxException($"kill({pid}, {signal})", errno);
    }
}
