using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>gettid (unistd.h) and tgkill (signal.h), glibc 2.30+, which Tmds.LibC lacks.</summary>
internal static partial class ThreadCalls
{
    private const string LibC = "libc.so.6";

    // gettid cannot fail.
    [LibraryImport(LibC)]
    public static partial int gettid();

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int tgkill(int tgid, int tid, int signal);
}
