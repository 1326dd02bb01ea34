using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/resource.h: resource limits (process-wide). C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class ResourceCalls
{
    public const int RLIMIT_CORE = 4;
    public const int RLIMIT_NPROC = 6;
    public const int RLIMIT_NOFILE = 7;

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int setrlimit(int resource, RLimit* limit);

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int getrlimit(int resource, RLimit* limit);

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }
}
