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
