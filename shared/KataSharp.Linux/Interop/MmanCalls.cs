using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/mman.h: mappings and memfd_create (its MFD_* flags are in <see cref="MemFdCalls"/>, linux/memfd.h). C names,
/// so the layout test compares each with the header.</summary>
internal static unsafe partial class MmanCalls
{
    private const string LibC = "libc.so.6";

    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public const int MADV_DONTNEED = 4;
    public const int MADV_DONTFORK = 10;
    public const int MADV_DONTDUMP = 16;

    /// <summary>Fails with MAP_FAILED, ((void *) -1), not null.</summary>
    [LibraryImport(LibC, SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int munmap(void* address, nuint length);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int madvise(void* address, nuint length, int advice);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int memfd_create(byte* name, uint flags);
}
