using KataSharp.Vmm.Memory;
using Microsoft.Win32.SafeHandles;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// An initrd file and where it goes: as high as the kernel allows (initrd_addr_max) and RAM
/// below the MMIO hole reaches, page-aligned, above the kernel — the placement Linux expects
/// from a boot loader, which keeps low memory free for the kernel's decompression and early use.
/// </summary>
public sealed class InitrdImage
{
    private const ulong PageSize = 4096;

    private InitrdImage(string path, ulong size)
    {
        Path = path;
        Size = size;
    }

    public string Path { get; }

    public ulong Size { get; }

    public static InitrdImage Open(string path)
    {
        if (Directory.Exists(path) || !File.Exists(path))
        {
            throw new BootException(BootError.InitrdMissing, $"initrd '{path}' does not exist. Pass a cpio archive (optionally gzip-compressed) or leave the option out.");
        }
        using SafeFileHandle file = KernelImage.OpenRead(path, BootError.InitrdMissing, "initrd");
        return new InitrdImage(path, (ulong)RandomAccess.GetLength(file));
    }

    /// <summary>The page-aligned load address: the highest that ends at or below both <paramref name="ramLimit"/>
    /// (end of RAM below 4 GiB) and <paramref name="initrdAddressMax"/>, and starts at or above <paramref name="kernelEnd"/>.</summary>
    public ulong PlaceBelow(ulong ramLimit, ulong initrdAddressMax, ulong kernelEnd)
    {
        ulong top = Math.Min(ramLimit, initrdAddressMax + 1);
        ulong aligned = top >= Size ? (top - Size) & ~(PageSize - 1) : 0;
        ulong firstFree = (kernelEnd + PageSize - 1) & ~(PageSize - 1);
        if (top < Size || aligned < firstFree)
        {
            throw new BootException(BootError.InitrdDoesNotFit,
                $"initrd '{Path}' ({Size / 1024} KiB) does not fit between the kernel (ending at 0x{kernelEnd:x}) and 0x{top:x}. Give the VM more memory.");
        }
        return aligned;
    }

    public void LoadInto(GuestMemory memory, ulong address)
    {
        using SafeFileHandle file = KernelImage.OpenRead(Path, BootError.InitrdMissing, "initrd");
        KernelImage.ReadInto(file, 0, memory, new GuestAddress(address), Size, Path, BootError.InitrdMissing);
    }
}
