using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>renameat(2), which Tmds.LibC lacks.</summary>
internal static unsafe partial class RenameCalls
{
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int renameat(int olddirfd, byte* oldpath, int newdirfd, byte* newpath);
}
