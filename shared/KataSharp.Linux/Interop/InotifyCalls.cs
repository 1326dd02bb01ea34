using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/inotify.h, which Tmds.LibC lacks.</summary>
internal static unsafe partial class InotifyCalls
{
    private const string LibC = "libc.so.6";

    public const int IN_NONBLOCK = 0x800;
    public const int IN_CLOEXEC = 0x80000;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int inotify_init1(int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int inotify_add_watch(int fd, byte* path, uint mask);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int inotify_rm_watch(int fd, int wd);
}
