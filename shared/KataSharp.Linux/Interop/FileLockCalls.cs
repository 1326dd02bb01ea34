using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/file.h: flock(2). C names, so the layout test compares each with the header.</summary>
internal static partial class FileLockCalls
{
    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int flock(int fd, int operation);
}
