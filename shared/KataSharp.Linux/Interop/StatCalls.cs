using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/stat.h: stat and fstat with glibc's x86-64 struct stat (144 bytes), the file-type bits of st_mode, and the
/// calls that create or change inodes by mode. C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class StatCalls
{
    private const string LibC = "libc.so.6";

    public const uint S_IFMT = 0xf000;
    public const uint S_IFIFO = 0x1000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFLNK = 0xa000;
    public const uint S_IFSOCK = 0xc000;

    /// <summary>struct stat on x86-64 (glibc's bits/struct_stat.h, the kernel's struct stat): explicit offsets, so the
    /// fields nobody reads (the padding after st_gid, the reserved tail) need no names here and the size still holds.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 144)]
    public struct Stat
    {
        [FieldOffset(0)] public ulong st_dev;
        [FieldOffset(8)] public ulong st_ino;
        [FieldOffset(16)] public ulong st_nlink;
        [FieldOffset(24)] public uint st_mode;
        [FieldOffset(28)] public uint st_uid;
        [FieldOffset(32)] public uint st_gid;
        [FieldOffset(40)] public ulong st_rdev;
        [FieldOffset(48)] public long st_size;
        [FieldOffset(56)] public long st_blksize;
        [FieldOffset(64)] public long st_blocks;
        [FieldOffset(72)] public ClockCalls.Timespec st_atim;
        [FieldOffset(88)] public ClockCalls.Timespec st_mtim;
        [FieldOffset(104)] public ClockCalls.Timespec st_ctim;
    }

    // glibc 2.33+ exports stat and fstat themselves (before, they were inline wrappers of __xstat).
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int stat(byte* path, Stat* buffer);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fstat(int fd, Stat* buffer);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int mkdirat(int dirfd, byte* path, uint mode);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int mkfifo(byte* path, uint mode);
}
