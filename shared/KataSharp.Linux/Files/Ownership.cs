using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Files;

/// <summary>Changes a file's owner (.NET has no chown): fchownat without following a final symlink.</summary>
public static unsafe class Ownership
{
    public static void Change(string path, uint uid, uint gid)
    {
        byte[] cpath = Libc.NullTerminated(path);
        fixed (byte* p = cpath)
        {
            Libc.Check(UnistdCalls.fchownat(FcntlCalls.AT_FDCWD, p, uid, gid, FcntlCalls.AT_SYMLINK_NOFOLLOW), $"fchownat({path}, {uid}, {gid})");
        }
    }
}
