using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.MmanCalls;

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
        void* p = mmap(null, (nuint)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd.Value, offset);
        if (p == (void*)-1)
        {
            throw new LinuxException($"mmap({what}, {length} bytes)", Libc.LastErrno);
        }
        return new MemoryMapping((byte*)p, length);
    }

    /// <summary>Private anonymous read/write memory (zero-filled, allocated on first touch).</summary>
    public static MemoryMapping MapAnonymous(ulong length, string what = "anonymous")
    {
        void* p = mmap(null, (nuint)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == (void*)-1)
        {
            throw new LinuxException($"mmap({what}, {length} bytes)", Libc.LastErrno);
        }
        return new MemoryMapping((byte*)p, length);
    }

    /// <summary>
    /// Private anonymous read/write memory whose start is a multiple of <paramref name="alignment"/> (a power of two,
    /// a multiple of the page size): maps one alignment unit more and unmaps the unaligned head and tail, so that
    /// transparent huge pages can back it from its first byte (Linux before 6.7 aligns no anonymous mapping by itself).
    /// </summary>
    public static MemoryMapping MapAnonymousAligned(ulong length, ulong alignment, string what = "anonymous")
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment % (ulong)Environment.SystemPageSize != 0)
        {
            throw new ArgumentException($"alignment {alignment} is not a power-of-two multiple of the page size", nameof(alignment));
        }
        ulong reserved = checked(length + alignment);
        MemoryMapping whole = MapAnonymous(reserved, what);
        byte* raw = whole._address;
        whole._address = null; // the pieces are unmapped below or owned by the result
        ulong start = ((ulong)raw + alignment - 1) & ~(alignment - 1);
        ulong head = start - (ulong)raw, tail = reserved - head - length;
        if (head > 0)
        {
            munmap(raw, (nuint)head);
        }
        if (tail > 0)
        {
            munmap((byte*)start + length, (nuint)tail);
        }
        return new MemoryMapping((byte*)start, length);
    }

    /// <summary>
    /// Names an anonymous mapping in /proc/PID/maps and smaps ("[anon:NAME]", prctl PR_SET_VMA_ANON_NAME), so that
    /// tools and benchmarks can tell it from the rest of the process's memory. False on a kernel built without
    /// CONFIG_ANON_VMA_NAME (EINVAL): the name is a convenience, not a requirement.
    /// </summary>
    public bool Name(string name)
    {
        byte[] cname = Libc.NullTerminated(name);
        int result;
        fixed (byte* p = cname)
        {
            result = PrctlCalls.prctl(PrctlCalls.PR_SET_VMA, PrctlCalls.PR_SET_VMA_ANON_NAME, (ulong)Address, Length, (ulong)p);
        }
        if (result == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        return errno == (int)Errno.EINVAL ? false : throw new LinuxException($"prctl(PR_SET_VMA_ANON_NAME, {name})", errno);
    }

    /// <summary>
    /// Keeps the mapping out of this process's core dumps and out of any child it forks (madvise MADV_DONTDUMP and
    /// MADV_DONTFORK; smaps shows them as the VmFlags "dd" and "dc").
    /// </summary>
    public void KeepPrivateToThisProcess()
    {
        foreach ((int advice, string name) in new[] { (MADV_DONTDUMP, "MADV_DONTDUMP"), (MADV_DONTFORK, "MADV_DONTFORK") })
        {
            if (madvise(Address, (nuint)Length, advice) != 0)
            {
                throw new LinuxException($"madvise({name}, {Length} bytes)", Libc.LastErrno);
            }
        }
    }

    /// <summary>False once disposed: the range is no longer this process's.</summary>
    public bool IsMapped => _address != null;

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
            munmap(_address, (nuint)Length);
            _address = null;
        }
    }
}
