using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/prctl.h. C names, so the layout test compares each with the header.</summary>
internal static partial class PrctlCalls
{
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int PR_GET_CHILD_SUBREAPER = 37;
    public const int PR_GET_DUMPABLE = 3;
    public const int PR_SET_DUMPABLE = 4;
    public const int PR_SET_NO_NEW_PRIVS = 38;
    public const int PR_GET_NO_NEW_PRIVS = 39;
    public const int PR_SET_THP_DISABLE = 41;
    public const int PR_GET_THP_DISABLE = 42;
    public const int PR_SET_VMA = 0x53564d41;
    public const int PR_SET_VMA_ANON_NAME = 0;

    // prctl is variadic; every option here takes integer (or pointer-as-integer) arguments, which on x86-64 travel in the
    // same registers as fixed ones.
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
