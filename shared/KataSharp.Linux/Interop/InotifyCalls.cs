using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/inotify.h. C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class InotifyCalls
{
    private const string LibC = "libc.so.6";

    public const int IN_NONBLOCK = 0x800;
    public const int IN_CLOEXEC = 0x80000;
    public const uint IN_MODIFY = 0x2;
    public const uint IN_IGNORED = 0x8000;

    /// <summary>The fixed part of each event read from the descriptor; <c>len</c> bytes of name (NUL-padded) follow.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct inotify_event
    {
        public int wd;
        public uint mask;
        public uint cookie;
        public uint len;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int inotify_init1(int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int inotify_add_watch(int fd, byte* path, uint mask);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int inotify_rm_watch(int fd, int wd);
}
