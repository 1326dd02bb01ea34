using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/mount.h: mount(2) and umount2(2) and umount2's flags (the MS_* flags are the <see cref="Mounts.MountFlags"/>
/// enum). C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class MountCalls
{
    private const string LibC = "libc.so.6";

    public const int MNT_DETACH = 2;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int mount(byte* source, byte* target, byte* fstype, ulong flags, void* data);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int umount2(byte* target, int flags);
}
