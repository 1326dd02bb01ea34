using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>linux/close_range.h and unistd.h: close_range(2) (Linux 5.11+, glibc 2.34+).</summary>
internal static partial class CloseRangeCalls
{
    public const uint CLOSE_RANGE_CLOEXEC = 1u << 2;

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int close_range(uint first, uint last, uint flags);
}
