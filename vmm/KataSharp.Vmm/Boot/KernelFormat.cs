namespace KataSharp.Vmm.Boot;

/// <summary>The kernel image formats the loader understands.</summary>
public enum KernelFormat
{
    /// <summary>Uncompressed ELF64 vmlinux: PT_LOAD segments at their physical addresses, entry = e_entry.</summary>
    Elf,

    /// <summary>bzImage: protected-mode part loaded at 1 MiB, 64-bit entry at +0x200 (boot protocol ≥ 2.12).</summary>
    BzImage,
}
