using KataSharp.Vmm.Memory;
using static KataSharp.Vmm.Arch.ControlRegisters;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// Translates a guest-virtual address the way the vCPU would (4- or 5-level long-mode paging,
/// or no paging), reading the guest's own page tables through <see cref="GuestMemory"/>. Used only
/// for diagnostics, so a missing or malformed mapping yields null instead of an exception.
/// </summary>
public static class GuestPageWalker
{
    private const ulong AddressMask = 0x000F_FFFF_FFFF_F000;
    private const ulong Cr4La57 = 1UL << 12;

    public static ulong? Translate(GuestMemory memory, ulong cr0, ulong cr3, ulong cr4, ulong efer, ulong linear)
    {
        if ((cr0 & Cr0Paging) == 0)
        {
            return linear;
        }
        if ((efer & EferLongModeActive) == 0)
        {
            return null; // 32-bit paging: never used by the guests this VMM boots
        }
        int levels = (cr4 & Cr4La57) != 0 ? 5 : 4;
        ulong table = cr3 & AddressMask;
        for (int level = levels; level >= 1; level--)
        {
            int shift = 12 + 9 * (level - 1);
            var entryAddress = new GuestAddress(table + ((linear >> shift) & 0x1FF) * sizeof(ulong));
            if (!memory.IsValidRange(entryAddress, sizeof(ulong)))
            {
                return null;
            }
            ulong entry = memory.Read<ulong>(entryAddress);
            if ((entry & PageTables.Present) == 0)
            {
                return null;
            }
            bool large = level is 2 or 3 && (entry & PageTables.LargePage) != 0;
            if (level == 1 || large)
            {
                ulong pageMask = (1UL << shift) - 1;
                return (entry & AddressMask & ~pageMask) | (linear & pageMask);
            }
            table = entry & AddressMask;
        }
        return null;
    }
}
