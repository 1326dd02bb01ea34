using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>fcntl.h: open, openat and fcntl, their flags and commands. C names, so the layout test compares each with the
/// header (with _GNU_SOURCE, which O_PATH and the seal commands need).</summary>
internal static unsafe partial class FcntlCalls
{
    private const string LibC = "libc.so.6";

    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOCTTY = 0x100;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;

    // open, openat and fcntl are variadic in C (the mode or the argument is the optional last one). .NET cannot call
    // C varargs; on x86-64 an integer argument of a variadic call travels in the same register as a fixed one, and
    // glibc reads it with va_arg only when the flags or command say there is one, so a fixed last parameter is the
    // same call. mode_t is unsigned int.
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int openat(int dirfd, byte* path, int flags, uint mode);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fcntl(int fd, int command, long argument);
}
