using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// The guest's e820 map: every RAM region, minus [EBDA, 1 MiB) where the MP table and the legacy
/// VGA/ROM window live. The MMIO hole is never RAM, so it never appears.
/// </summary>
public static class E820Map
{
    /// <summary>E820_MAX_ENTRIES_ZEROPAGE: how many entries boot_params can carry.</summary>
    public const int MaxEntries = 128;

    public static IReadOnlyList<E820Entry> Build(IEnumerable<GuestMemoryRegion> ram)
    {
        var entries = new List<E820Entry>();
        foreach (GuestMemoryRegion region in ram.OrderBy(r => r.Start.Value))
        {
            AddWithout(entries, region.Start.Value, region.End, X86Layout.EbdaStart, X86Layout.HighMemoryStart);
        }
        if (entries.Count > MaxEntries)
        {
            throw new InvalidOperationException($"{entries.Count} e820 entries do not fit the zero page's {MaxEntries}");
        }
        return entries;
    }

    private static void AddWithout(List<E820Entry> entries, ulong start, ulong end, ulong holeStart, ulong holeEnd)
    {
        if (start < holeStart)
        {
            ulong e = Math.Min(end, holeStart);
            entries.Add(new E820Entry(start, e - start, E820Type.Ram));
        }
        if (end > holeEnd)
        {
            ulong s = Math.Max(start, holeEnd);
            entries.Add(new E820Entry(s, end - s, E820Type.Ram));
        }
    }
}
