using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/timerfd.h. C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class TimerFdCalls
{
    private const string LibC = "libc.so.6";

    public const int TFD_NONBLOCK = 0x800;
    public const int TFD_CLOEXEC = 0x80000;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int timerfd_create(int clockid, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int timerfd_settime(int fd, int flags, ClockCalls.Itimerspec* newValue, ClockCalls.Itimerspec* oldValue);
}
