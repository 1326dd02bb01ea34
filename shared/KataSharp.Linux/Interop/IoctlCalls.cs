using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/ioctl.h: ioctl(2) itself; <see cref="Files.Ioctl"/> is its one caller, the request numbers live with
/// their devices (IoctlNumber, TunCalls, TerminalCalls, ...).</summary>
internal static unsafe partial class IoctlCalls
{
    // ioctl is variadic (int fd, unsigned long request, ...); the one argument every request here takes is a pointer or
    // an integer, which on x86-64 travels in the same register whether the call is variadic or not.
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argument);
}
