using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Files;

/// <summary>
/// Descriptors this process got from whoever started it. .NET opens everything close-on-exec, but a
/// parent may leak descriptors into us; marking them close-on-exec keeps them out of the programs
/// we start (a daemon must not hold its starter's pipes open).
/// </summary>
public static class InheritedDescriptors
{
    /// <summary>Marks every descriptor numbered <paramref name="first"/> or above close-on-exec.</summary>
    public static void MarkCloseOnExec(int first = 3)
    {
        Libc.Check(CloseRangeCalls.close_range((uint)first, uint.MaxValue, CloseRangeCalls.CLOSE_RANGE_CLOEXEC),
            $"close_range({first}, ~0, CLOSE_RANGE_CLOEXEC)");
    }
}
