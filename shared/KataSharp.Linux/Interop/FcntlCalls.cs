namespace KataSharp.Linux.Interop;

/// <summary>fcntl.h flags that code outside the Tmds.LibC imports passes: C names, so the layout test compares each with
/// the header.</summary>
internal static class FcntlCalls
{
    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
}
