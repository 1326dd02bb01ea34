using KataSharp.Linux.Interop;

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
        StatCalls.Stat st;
        fixed (byte* p = cpath)
        {
            Libc.Check(StatCalls.stat(p, &st), $"stat({path})");
        }
        long ctime = st.st_ctim.tv_sec * 1_000_000_000 + st.st_ctim.tv_nsec;
        return new FileIdentity(st.st_dev, st.st_ino, ctime);
    }
}
