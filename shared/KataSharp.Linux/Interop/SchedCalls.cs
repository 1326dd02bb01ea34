using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sched.h: leaving and joining namespaces (the CLONE_* flags are in <see cref="NamespaceCalls"/>, linux/sched.h).</summary>
internal static partial class SchedCalls
{
    private const string LibC = "libc.so.6";

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setns(int fd, int namespaceType);
}
