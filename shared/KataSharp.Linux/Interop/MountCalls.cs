namespace KataSharp.Linux.Interop;

/// <summary>umount2(2) flags (sys/mount.h). C names, so the layout test compares each with the header.</summary>
internal static class MountCalls
{
    public const int MNT_DETACH = 2;
}
