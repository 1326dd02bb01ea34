using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Arch;

/// <summary>Where guest RAM of a given size goes: from 0 up to the MMIO hole, the rest above 4 GiB.</summary>
public static class GuestRamLayout
{
    public static IReadOnlyList<(GuestAddress Start, ulong Size)> RamRanges(ulong bytes)
    {
        if (bytes == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "guest RAM must not be empty");
        }
        ulong low = Math.Min(bytes, X86Layout.MmioHoleStart);
        var ranges = new List<(GuestAddress, ulong)> { (new GuestAddress(0), low) };
        if (bytes > low)
        {
            ranges.Add((new GuestAddress(X86Layout.MmioHoleEnd), bytes - low));
        }
        return ranges;
    }
}
