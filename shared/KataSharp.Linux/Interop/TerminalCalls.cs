using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>stdlib.h: the pseudo-terminal calls (the window-size ioctls are in <see cref="IoctlCalls"/>).</summary>
internal static unsafe partial class TerminalCalls
{
    private const string LibC = "libc.so.6";

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int posix_openpt(int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int grantpt(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int unlockpt(int fd);

    // Returns an error number (not -1/errno).
    [LibraryImport(LibC)]
    public static partial int ptsname_r(int fd, byte* buf, nuint buflen);
}
