using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Boot;

public sealed class E820MapTests
{
    [Fact]
    public void Small_memory_is_base_memory_below_the_EBDA_and_everything_from_1MiB()
    {
        IReadOnlyList<E820Entry> map = E820Map.Build(Regions(128UL << 20));
        Assert.Equal(
            [new E820Entry(0, 0x9FC00, E820Type.Ram), new E820Entry(0x10_0000, (128UL << 20) - 0x10_0000, E820Type.Ram)],
            map);
    }

    [Fact]
    public void Memory_beyond_3GiB_continues_above_the_MMIO_hole()
    {
        IReadOnlyList<E820Entry> map = E820Map.Build(Regions(4UL << 30));
        Assert.Equal(
            [
                new E820Entry(0, 0x9FC00, E820Type.Ram),
                new E820Entry(0x10_0000, X86Layout.MmioHoleStart - 0x10_0000, E820Type.Ram),
                new E820Entry(X86Layout.MmioHoleEnd, 1UL << 30, E820Type.Ram),
            ],
            map);
        Assert.DoesNotContain(map, e => e.Address < X86Layout.MmioHoleEnd && e.End > X86Layout.MmioHoleStart);
        Assert.DoesNotContain(map, e => e.Address < X86Layout.HighMemoryStart && e.End > X86Layout.EbdaStart);
    }

    private static IEnumerable<GuestMemoryRegion> Regions(ulong bytes)
    {
        ulong offset = 0;
        foreach (var (start, size) in GuestRamLayout.RamRanges(bytes))
        {
            yield return new GuestMemoryRegion(start, size, 0, offset);
            offset += size;
        }
    }
}
