using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;

namespace KataSharp.Linux.Files;

/// <summary>Switches a descriptor back to blocking I/O (clears O_NONBLOCK), e.g. after a non-blocking open(2).</summary>
public static class BlockingMode
{
    public static void SetBlocking(FileDescriptor fd)
    {
        int flags = Libc.Check(fcntl(fd.Value, F_GETFL, 0), "fcntl(F_GETFL)");
        Libc.Check(fcntl(fd.Value, F_SETFL, flags & ~O_NONBLOCK), "fcntl(F_SETFL)");
    }
}
