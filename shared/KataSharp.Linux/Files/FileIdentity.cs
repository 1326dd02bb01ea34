using KataSharp.Linux.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Files;

/// <summary>
/// Which inode a path is, and when that inode last changed (stat(2): st_dev, st_ino, st_ctim).
/// Two equal identities name the same, unchanged file or directory.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, long ChangeTimeNanoseconds)
{
    public static unsafe FileIdentity Of(string path)
    {
        byte[] cpath = Libc.NullTerminated(path);
        Tmds.Linux.stat st;
        fixed (byte* p = cpath)
        {
            Libc.Check(stat(p, &st), $"stat({path})");
        }
        long ctime = (long)st.st_ctim.tv_sec * 1_000_000_000 + (long)st.st_ctim.tv_nsec;
        return new FileIdentity((ulong)st.st_dev, (ulong)st.st_ino, ctime);
    }
}
