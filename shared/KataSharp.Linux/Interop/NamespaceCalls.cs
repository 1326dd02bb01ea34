namespace KataSharp.Linux.Interop;

/// <summary>The namespace type (sched.h) and the nsfs ioctl (linux/nsfs.h) that asks a namespace file for its type.
/// C names, so the layout test compares each with the header.</summary>
internal static class NamespaceCalls
{
    private const uint NSIO = 0xb7;

    public const int CLONE_NEWNET = 0x40000000;

    public static readonly uint NS_GET_NSTYPE = IoctlNumber.Io(NSIO, 0x3);
}
