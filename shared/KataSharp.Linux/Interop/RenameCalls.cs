using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>stdio.h: renameat(2).</summary>
internal static unsafe partial class RenameCalls
{
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int renameat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);
}
