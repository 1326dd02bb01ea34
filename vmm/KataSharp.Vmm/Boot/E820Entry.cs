namespace KataSharp.Vmm.Boot;

/// <summary>One entry of the BIOS e820 memory map as <c>struct boot_e820_entry</c> carries it.</summary>
public readonly record struct E820Entry(ulong Address, ulong Size, E820Type Type)
{
    /// <summary>sizeof(struct boot_e820_entry): packed u64 addr, u64 size, u32 type.</summary>
    public const int EncodedSize = 20;

    public ulong End => Address + Size;
}
