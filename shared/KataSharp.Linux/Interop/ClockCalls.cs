using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>clock_gettime(2) for the per-thread CPU clock, which Tmds.LibC lacks.</summary>
internal static unsafe partial class ClockCalls
{
    public const int CLOCK_THREAD_CPUTIME_ID = 3;

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int clock_gettime(int clock, Timespec* time);
}
