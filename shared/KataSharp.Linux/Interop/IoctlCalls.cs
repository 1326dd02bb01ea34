using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/ioctl.h: ioctl(2) itself, whose one caller is <see cref="Files.Ioctl"/>, the terminal window-size
/// requests with their struct winsize, and the terminal settings requests (the other request numbers live with their devices: IoctlNumber, TunCalls, the
/// KVM layer). C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class IoctlCalls
{
    /// <summary>TIOCSWINSZ/TIOCGWINSZ predate the _IOW encoding: asm-generic/ioctls.h numbers.</summary>
    public const uint TIOCGWINSZ = 0x5413;
    public const uint TIOCSWINSZ = 0x5414;

    /// <summary>A terminal's settings as the kernel's struct termios (<see cref="TermbitsCalls.Termios"/>): read, and set
    /// after the output already written has gone out (TCSETSW, tcsetattr's TCSADRAIN), so raw mode never garbles it.</summary>
    public const uint TCGETS = 0x5401;
    public const uint TCSETSW = 0x5403;

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
