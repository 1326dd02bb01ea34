using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Processes;

/// <summary>The process's user and group ids.</summary>
public static unsafe class Credentials
{
    /// <summary>
    /// Makes every thread of this process <paramref name="uid"/>:<paramref name="gid"/> (real, effective and saved) with
    /// no supplementary groups. Leaving uid 0 this way also empties every thread's permitted and effective capabilities
    /// (the kernel's setuid rule without SECBIT_KEEP_CAPS), so root is gone for good: nothing can set the ids back.
    /// glibc's wrappers apply each change to all threads; the outcome is read back, not assumed.
    /// </summary>
    public static void DropTo(uint uid, uint gid)
    {
        if (uid == 0 || gid == 0)
        {
            throw new ArgumentException($"dropping root means a uid and gid other than 0 (got {uid}:{gid})");
        }
        Libc.Check(GrpCalls.setgroups(0, null), "setgroups(0)");
        Libc.Check(setresgid(gid, gid, gid), $"setresgid({gid})");
        Libc.Check(setresuid(uid, uid, uid), $"setresuid({uid})");
        uint r, e, s;
        Libc.Check(getresuid(&r, &e, &s), "getresuid");
        if (r != uid || e != uid || s != uid)
        {
            throw new LinuxException("setresuid", (int)Errno.EPERM, $"the ids are {r}/{e}/{s} after asking for {uid}");
        }
    }
}
