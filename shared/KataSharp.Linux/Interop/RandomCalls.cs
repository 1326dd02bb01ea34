using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/random.h: getrandom(2).</summary>
internal static unsafe partial class RandomCalls
{
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial nint getrandom(void* buffer, nuint length, uint flags);
}
