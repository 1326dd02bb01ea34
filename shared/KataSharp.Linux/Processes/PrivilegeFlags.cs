using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.PrctlCalls;

namespace KataSharp.Linux.Processes;

/// <summary>The prctl(2) switches a confined process sets on itself.</summary>
public static class PrivilegeFlags
{
    /// <summary>
    /// PR_SET_NO_NEW_PRIVS for the calling thread (and what it starts or executes): execve can never grant privileges
    /// again (setuid bits and file capabilities are ignored). A seccomp filter loaded with thread sync afterwards carries
    /// the flag to every other thread of the process.
    /// </summary>
    public static void SetNoNewPrivileges() => Libc.Check(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)");

    public static bool NoNewPrivileges => Libc.Check(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), "prctl(PR_GET_NO_NEW_PRIVS)") == 1;

    /// <summary>PR_SET_DUMPABLE (process-wide): not dumpable means no core file, /proc/PID files owned by root and no
    /// ptrace by anyone lacking CAP_SYS_PTRACE — another process of the same uid cannot read this one's memory.</summary>
    public static void SetDumpable(bool dumpable) =>
        Libc.Check(prctl(PR_SET_DUMPABLE, dumpable ? 1UL : 0UL, 0, 0, 0), "prctl(PR_SET_DUMPABLE)");

    public static bool Dumpable => Libc.Check(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_GET_DUMPABLE)") == 1;
}
