using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>Pseudo-terminal calls (stdlib.h), and the WinSize ioctl argument and its requests (sys/ioctl.h).</summary>
internal static unsafe partial class TerminalCalls
{
    private const string LibC = "libc.so.6";

    /// <summary>TIOCSWINSZ/TIOCGWINSZ predate the _IOW encoding: asm-generic/ioctls.h numbers.</summary>
    public const uint TIOCGWINSZ = 0x5413;
    public const uint TIOCSWINSZ = 0x5414;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int posix_openpt(int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int grantpt(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int unlockpt(int fd);

    // Returns an error number (not -1/errno).
    [LibraryImport(LibC)]
    public static partial int ptsname_r(int fd, byte* buf, nuint buflen);

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort ws_row;
        public ushort ws_col;
        public ushort ws_xpixel;
        public ushort ws_ypixel;
    }
}
