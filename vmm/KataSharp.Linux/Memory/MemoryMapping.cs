using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Memory;

/// <summary>
/// An mmap(2)ed range, unmapped once on dispose. Hands out a raw pointer only to the memory
/// layers (guest RAM, kvm_run) that wrap it in bounds-checked types.
/// </summary>
public sealed unsafe class MemoryMapping : IDisposable
{
    private byte* _address;

    private MemoryMapping(byte* address, ulong length)
    {
        _address = address;
        Length = length;
    }

    public ulong Length { get; }

    public byte* Address
    {
        get
        {
            ObjectDisposedException.ThrowIf(_address == null, this);
            return _address;
        }
    }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/> shared and read/write.</summary>
    public static MemoryMapping MapShared(FileDescriptor fd, ulong length, long offset = 0, string what = "file")
    {
        void* p = mmap(null, (Tmds.Linux.size_t)(ulong)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.Value, offset);
        if (p == (void*)-1)
        {
            throw new LinuxException($"mmap({what}, {length} bytes)", Libc.LastErrno);
        }
        return new MemoryMapping((byte*)p, length);
    }

    /// <summary>Private anonymous read/write memory (zero-filled, allocated on first touch).</summary>
    public static MemoryMapping MapAnonymous(ulong length, string what = "anonymous")
    {
        void* p = mmap(null, (Tmds.Linux.size_t)(ulong)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == (void*)-1)
        {
            throw new LinuxException($"mmap({what}, {length} bytes)", Libc.LastErrno);
        }
        return new MemoryMapping((byte*)p, length);
    }

    /// <summary>
    /// Private anonymous read/write memory whose start is a multiple of <paramref name="alignment"/>
    /// (a power of two): over-maps by one alignment unit and unmaps the unaligned head and tail, so
    /// transparent huge pages can back it from the first byte.
    /// </summary>
    public static MemoryMapping MapAnonymousAligned(ulong length, ulong alignment, string what = "anonymous")
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment % (ulong)Environment.SystemPageSize != 0)
        {
            throw new ArgumentException($"alignment {alignment} is not a power-of-two multiple of the page size", nameof(alignment));
        }
        ulong reserved = checked(length + alignment);
        byte* raw = MapAnonymous(reserved, what).Detach();
        ulong start = ((ulong)raw + alignment - 1) & ~(alignment - 1);
        ulong head = start - (ulong)raw, tail = reserved - head - length;
        if (head > 0)
        {
            munmap(raw, (Tmds.Linux.size_t)head);
        }
        if (tail > 0)
        {
            munmap((byte*)start + length, (Tmds.Linux.size_t)tail);
        }
        return new MemoryMapping((byte*)start, length);
    }

    /// <summary>
    /// Asks the kernel to back the mapping with transparent huge pages (madvise MADV_HUGEPAGE): one
    /// 2 MiB fault instead of 512 small ones, which matters most for guest RAM under nested paging.
    /// False when the kernel has no THP support (EINVAL); the mapping then simply keeps small pages.
    /// </summary>
    public bool AdviseHugePages()
    {
        const int MadvHugepage = 14; // <asm-generic/mman-common.h>
        if (madvise(Address, (Tmds.Linux.size_t)Length, MadvHugepage) == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        return errno == EINVAL ? false : throw new LinuxException($"madvise(MADV_HUGEPAGE, {Length} bytes)", errno);
    }

    /// <summary>
    /// Names an anonymous mapping in /proc/PID/maps and smaps ("[anon:NAME]"), so tools and
    /// benchmarks can tell guest RAM from the process's own memory. False on kernels built without
    /// CONFIG_ANON_VMA_NAME (EINVAL): the name is a convenience, not a requirement.
    /// </summary>
    public bool Name(string name)
    {
        const int PrSetVma = 0x53564d41, PrSetVmaAnonName = 0; // <linux/prctl.h>
        byte[] cname = Libc.NullTerminated(name);
        int result;
        fixed (byte* p = cname)
        {
            result = ProcessCalls.prctl(PrSetVma, PrSetVmaAnonName, (ulong)Address, Length, (ulong)p);
        }
        if (result == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        return errno == EINVAL ? false : throw new LinuxException($"prctl(PR_SET_VMA_ANON_NAME, {name})", errno);
    }

    /// <summary>Hands the range over to the caller, who unmaps it; this object no longer owns it.</summary>
    private byte* Detach()
    {
        byte* address = Address;
        _address = null;
        return address;
    }

    public Span<byte> AsSpan(ulong offset, int length)
    {
        if (offset > Length || (ulong)length > Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length}) is outside the {Length}-byte mapping");
        }
        return new Span<byte>(Address + offset, length);
    }

    public void Dispose()
    {
        if (_address != null)
        {
            munmap(_address, (Tmds.Linux.size_t)(ulong)Length);
            _address = null;
        }
    }
}
