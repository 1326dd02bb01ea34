using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>grp.h: the supplementary groups (glibc applies setgroups to every thread, as it does setresuid).</summary>
internal static unsafe partial class GrpCalls
{
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int setgroups(nuint size, uint* list);
}
