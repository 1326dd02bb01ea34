using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/ioctl.h: ioctl(2) itself, whose one caller is <see cref="Files.Ioctl"/>, and the terminal window-size
/// requests with their struct winsize (the other request numbers live with their devices: IoctlNumber, TunCalls, the
/// KVM layer). C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class IoctlCalls
{
    /// <summary>TIOCSWINSZ/TIOCGWINSZ predate the _IOW encoding: asm-generic/ioctls.h numbers.</summary>
    public const uint TIOCGWINSZ = 0x5413;
    public const uint TIOCSWINSZ = 0x5414;

    // ioctl is variadic (int fd, unsigned long request, ...); the one argument every request here takes is a pointer or
    // an integer, which on x86-64 travels in the same register whether the call is variadic or not.
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argument);

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort ws_row;
        public ushort ws_col;
        public ushort ws_xpixel;
        public ushort ws_ypixel;
    }
}
