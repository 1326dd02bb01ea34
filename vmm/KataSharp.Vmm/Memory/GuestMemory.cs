using System.Runtime.CompilerServices;
using KataSharp.Linux.Memory;

namespace KataSharp.Vmm.Memory;

/// <summary>
/// Guest RAM: one private anonymous mapping, 2 MiB aligned (as QEMU and Firecracker back RAM), split into
/// non-overlapping guest-physical regions.
/// The only way KataSharp code touches guest memory. Every access is range-checked with
/// overflow-safe math against one region (the MMIO hole separates regions, so a buffer
/// that crosses a region end is never valid) and throws <see cref="GuestMemoryException"/>.
/// </summary>
public sealed unsafe class GuestMemory : IDisposable
{
    /// <summary>What smaps calls guest RAM ("[anon:katasharp-guest-ram]") on a kernel with CONFIG_ANON_VMA_NAME; on
    /// others (Debian 12's) the benchmarks and the CRI scenario tell it by its VmFlags "dd" and "dc" together.</summary>
    public const string MappingName = "katasharp-guest-ram";

    /// <summary>The huge-page size: RAM aligned to it in host and guest can be mapped by 2 MiB pages at both levels.</summary>
    private const ulong HugePage = 2 << 20;

    private readonly MemoryMapping _mapping;
    private readonly GuestMemoryRegion[] _regions;

    private GuestMemory(MemoryMapping mapping, GuestMemoryRegion[] regions)
    {
        _mapping = mapping;
        _regions = regions;
    }

    /// <summary>The regions in ascending address order.</summary>
    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    /// <summary>Total RAM in bytes.</summary>
    public ulong Size => _mapping.Length;

    /// <summary>False once disposed (the VM keeps RAM mapped while a thread that may touch it still runs).</summary>
    public bool IsMapped => _mapping.IsMapped;

    /// <summary>Creates RAM for the given (start, size) ranges. Ranges must be page-aligned,
    /// ascending and non-overlapping.</summary>
    public static GuestMemory Create(IReadOnlyList<(GuestAddress Start, ulong Size)> ranges)
    {
        if (ranges.Count == 0)
        {
            throw new ArgumentException("guest memory needs at least one range", nameof(ranges));
        }
        const ulong page = 4096;
        ulong total = 0;
        ulong previousEnd = 0;
        foreach (var (start, size) in ranges)
        {
            if (size == 0 || start.Value % page != 0 || size % page != 0)
            {
                throw new ArgumentException($"range {start} +{size} is empty or not page-aligned", nameof(ranges));
            }
            if (start.Value < previousEnd || start.TryAdd(size) is null)
            {
                throw new ArgumentException($"range {start} +{size} overlaps or is out of order", nameof(ranges));
            }
            previousEnd = start.Value + size;
            total = checked(total + size);
        }

        // Every first touch of a guest page is a host page fault, and under nested paging a costly exit to the outer
        // hypervisor: a 2 MiB transparent huge page takes one fault where 4 KiB pages take 512 (boot measured in
        // README "Performance"). Anonymous memory gets them where the host's THP mode is "always" (Debian's default)
        // with no madvise: MADV_HUGEPAGE would let a fault stall in direct compaction, which hung the nested test
        // host's L1 twice when guest RAM was advised (issue 15); a memfd (shmem) gets none unless the host's admin
        // turns shmem THP on.
        // The shim turns them off for its own heap, and its VMM process inherits that: allowed again for this process.
        TransparentHugePages.AllowForThisProcess();
        MemoryMapping mapping = MemoryMapping.MapAnonymousAligned(total, HugePage, "guest RAM");
        try
        {
            // Guest RAM holds the guest's secrets: never in a core dump of the VMM, never copied into a child.
            mapping.KeepPrivateToThisProcess();
            mapping.Name(MappingName);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }

        var regions = new GuestMemoryRegion[ranges.Count];
        ulong offset = 0;
        for (int i = 0; i < ranges.Count; i++)
        {
            var (start, size) = ranges[i];
            regions[i] = new GuestMemoryRegion(start, size, (ulong)mapping.Address + offset, offset);
            offset += size;
        }
        return new GuestMemory(mapping, regions);
    }

    /// <summary>True when [address, address+length) lies inside one RAM region.</summary>
    public bool IsValidRange(GuestAddress address, ulong length) => FindRegion(address, length) is not null;

    /// <summary>A span over guest RAM; throws when the range is not entirely RAM.
    /// Do not keep it across a point where the guest may run device code again.</summary>
    public Span<byte> GetSpan(GuestAddress address, int length)
    {
        if (length < 0)
        {
            throw new GuestMemoryException(address, 0, "negative length");
        }
        return new Span<byte>(Pointer(address, (ulong)length), length);
    }

    public bool TryGetSpan(GuestAddress address, int length, out Span<byte> span)
    {
        GuestMemoryRegion? region = length < 0 ? null : FindRegion(address, (ulong)length);
        if (region is null)
        {
            span = default;
            return false;
        }
        span = new Span<byte>(_mapping.Address + region.MappingOffset + (address.Value - region.Start.Value), length);
        return true;
    }

    public void Read(GuestAddress address, Span<byte> destination) =>
        GetSpan(address, destination.Length).CopyTo(destination);

    public void Write(GuestAddress address, ReadOnlySpan<byte> source) =>
        source.CopyTo(GetSpan(address, source.Length));

    public T Read<T>(GuestAddress address) where T : unmanaged =>
        Unsafe.ReadUnaligned<T>(Pointer(address, (ulong)sizeof(T)));

    public void Write<T>(GuestAddress address, T value) where T : unmanaged =>
        Unsafe.WriteUnaligned(Pointer(address, (ulong)sizeof(T)), value);

    /// <summary>Reads a naturally aligned u16 with acquire semantics (virtqueue avail.idx).</summary>
    public ushort ReadUInt16Acquire(GuestAddress address) =>
        Volatile.Read(ref *(ushort*)AlignedPointer(address, sizeof(ushort)));

    /// <summary>Writes a naturally aligned u16 with release semantics (virtqueue used.idx).</summary>
    public void WriteUInt16Release(GuestAddress address, ushort value) =>
        Volatile.Write(ref *(ushort*)AlignedPointer(address, sizeof(ushort)), value);

    /// <summary>Zeroes a range (used by the boot loader and by tests).</summary>
    public void Clear(GuestAddress address, ulong length)
    {
        byte* p = Pointer(address, length);
        new Span<byte>(p, checked((int)Math.Min(length, int.MaxValue))).Clear();
        for (ulong done = int.MaxValue; done < length; done += int.MaxValue)
        {
            new Span<byte>(p + done, (int)Math.Min(length - done, int.MaxValue)).Clear();
        }
    }

    private byte* AlignedPointer(GuestAddress address, int size)
    {
        if (address.Value % (ulong)size != 0)
        {
            throw new GuestMemoryException(address, (ulong)size, "misaligned");
        }
        return Pointer(address, (ulong)size);
    }

    private byte* Pointer(GuestAddress address, ulong length)
    {
        GuestMemoryRegion region = FindRegion(address, length)
            ?? throw new GuestMemoryException(address, length, "not inside guest RAM");
        return _mapping.Address + region.MappingOffset + (address.Value - region.Start.Value);
    }

    private GuestMemoryRegion? FindRegion(GuestAddress address, ulong length)
    {
        foreach (GuestMemoryRegion region in _regions)
        {
            if (region.Contains(address, length))
            {
                return region;
            }
        }
        return null;
    }

    public void Dispose()
    {
        _mapping.Dispose();
    }
}
