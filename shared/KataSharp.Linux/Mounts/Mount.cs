using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.MountCalls;

namespace KataSharp.Linux.Mounts;

/// <summary>mount(2) and umount2(2) in the caller's mount namespace.</summary>
public static unsafe class Mount
{
    public static void Attach(string source, string target, string? fstype, MountFlags flags, string? data = null)
    {
        byte[] csource = Libc.NullTerminated(source);
        byte[] ctarget = Libc.NullTerminated(target);
        byte[]? cfstype = fstype is null ? null : Libc.NullTerminated(fstype);
        byte[]? cdata = data is null ? null : Libc.NullTerminated(data);
        fixed (byte* s = csource, t = ctarget, f = cfstype, d = cdata)
        {
            if (mount(s, t, f, (ulong)flags, d) < 0)
            {
                throw new LinuxException($"mount({source} on {target}, type {fstype ?? "none"}, data '{data}')", Libc.LastErrno);
            }
        }
    }

    /// <summary>Unmounts <paramref name="target"/>; lazily (MNT_DETACH) when <paramref name="detach"/>.
    /// Returns false when nothing is mounted there (EINVAL) or the path is gone (ENOENT).</summary>
    public static bool Detach(string target, bool detach = true)
    {
        byte[] ctarget = Libc.NullTerminated(target);
        fixed (byte* t = ctarget)
        {
            if (umount2(t, detach ? MNT_DETACH : 0) == 0)
            {
                return true;
            }
        }
        int errno = Libc.LastErrno;
        if (errno is (int)Errno.EINVAL or (int)Errno.ENOENT)
        {
            return false;
        }
        throw new LinuxException($"umount2({target})", errno);
    }
}
