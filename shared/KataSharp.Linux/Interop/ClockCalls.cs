using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>time.h and sys/time.h: clock_gettime for the per-thread CPU clock, and the clocks and time structs other calls take.
/// C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class ClockCalls
{
    public const int CLOCK_MONOTONIC = 1;
    public const int CLOCK_THREAD_CPUTIME_ID = 3;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    /// <summary>sys/time.h's microsecond time, as SO_RCVTIMEO takes it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timeval
    {
        public long tv_sec;
        public long tv_usec;
    }

    /// <summary>A timer's first expiry (it_value) and period (it_interval, zero for one shot).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Itimerspec
    {
        public Timespec it_interval;
        public Timespec it_value;
    }

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int clock_gettime(int clock, Timespec* time);
}
