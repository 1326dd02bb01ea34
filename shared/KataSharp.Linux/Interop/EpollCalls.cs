using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/epoll.h. C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class EpollCalls
{
    private const string LibC = "libc.so.6";

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    /// <summary>struct epoll_event is packed on x86-64 (__EPOLL_PACKED): the 64-bit data follows the 32-bit events at
    /// offset 4, 12 bytes in all, not 16. <c>data</c> is the union epoll_data; every registration here uses its u64.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint events;
        public ulong data;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);
}
