using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// asm/termbits.h: the kernel's struct termios (<see cref="Termios"/>), which TCGETS/TCSETS (<see cref="IoctlCalls"/>) read and write — not glibc's
/// larger one of termios.h — and the flags raw mode clears (termios(3), "Raw mode"). C names, so the layout test compares
/// each with the header.
/// </summary>
internal static class TermbitsCalls
{
    public const int NCCS = 19;

    // c_cc indexes.
    public const int VTIME = 5;
    public const int VMIN = 6;

    // c_iflag
    public const uint IGNBRK = 0x1;
    public const uint BRKINT = 0x2;
    public const uint PARMRK = 0x8;
    public const uint ISTRIP = 0x20;
    public const uint INLCR = 0x40;
    public const uint IGNCR = 0x80;
    public const uint ICRNL = 0x100;
    public const uint IXON = 0x400;

    // c_oflag
    public const uint OPOST = 0x1;

    // c_cflag
    public const uint CSIZE = 0x30;
    public const uint CS8 = 0x30;
    public const uint PARENB = 0x100;

    // c_lflag
    public const uint ISIG = 0x1;
    public const uint ICANON = 0x2;
    public const uint ECHO = 0x8;
    public const uint ECHONL = 0x40;
    public const uint IEXTEN = 0x8000;

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct Termios
    {
        public uint c_iflag;
        public uint c_oflag;
        public uint c_cflag;
        public uint c_lflag;
        public byte c_line;
        public fixed byte c_cc[NCCS];
    }
}
