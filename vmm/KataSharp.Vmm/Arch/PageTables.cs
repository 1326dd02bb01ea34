using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// Identity page tables for [0, 4 GiB) with 2 MiB pages: what the 64-bit boot protocol requires
/// (kernel, zero page and command line identity-mapped) plus the MMIO hole for device tests.
/// </summary>
public static class PageTables
{
    public const ulong Present = 1 << 0;
    public const ulong Writable = 1 << 1;
    public const ulong LargePage = 1 << 7;
    public const ulong LargePageSize = 2UL << 20;
    private const int EntriesPerTable = 512;

    /// <summary>Bytes identity-mapped from address 0.</summary>
    public const ulong MappedBytes = (ulong)X86Layout.PageDirectoryCount * EntriesPerTable * LargePageSize;

    /// <summary>Writes PML4, PDPT and page directories; CR3 must then point at <see cref="X86Layout.Pml4"/>.</summary>
    public static void Write(GuestMemory memory)
    {
        memory.Clear(new GuestAddress(X86Layout.Pml4), 0x1000);
        memory.Clear(new GuestAddress(X86Layout.Pdpt), 0x1000);
        memory.Write(new GuestAddress(X86Layout.Pml4), X86Layout.Pdpt | Present | Writable);
        for (int pd = 0; pd < X86Layout.PageDirectoryCount; pd++)
        {
            ulong directory = X86Layout.PageDirectory + (ulong)pd * 0x1000;
            memory.Write(new GuestAddress(X86Layout.Pdpt + (ulong)pd * sizeof(ulong)), directory | Present | Writable);
            for (int i = 0; i < EntriesPerTable; i++)
            {
                ulong physical = ((ulong)pd * EntriesPerTable + (ulong)i) * LargePageSize;
                memory.Write(new GuestAddress(directory + (ulong)i * sizeof(ulong)), physical | Present | Writable | LargePage);
            }
        }
    }
}
