using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/eventfd.h. C names, so the layout test compares each with the header.</summary>
internal static partial class EventFdCalls
{
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);
}
