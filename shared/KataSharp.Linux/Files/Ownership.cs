using KataSharp.Linux.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Files;

/// <summary>Changes a file's owner (.NET has no chown): fchownat without following a final symlink.</summary>
public static unsafe class Ownership
{
    public static void Change(string path, uint uid, uint gid)
    {
        const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
        byte[] cpath = Libc.NullTerminated(path);
        fixed (byte* p = cpath)
        {
            Libc.Check(fchownat(AT_FDCWD, p, uid, gid, AT_SYMLINK_NOFOLLOW), $"fchownat({path}, {uid}, {gid})");
        }
    }
}
