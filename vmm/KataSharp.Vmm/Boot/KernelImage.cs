using KataSharp.Vmm.Memory;
using Microsoft.Win32.SafeHandles;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// A kernel file that has been checked and understood (format, segments, entry point, limits the
/// kernel announces) but not yet loaded, so every problem is reported before a VM exists.
/// </summary>
public sealed class KernelImage
{
    /// <summary>How much of the file's start is read to recognise the format.</summary>
    internal const int ProbeSize = 4096;

    internal KernelImage(string path, KernelFormat format, ulong entry, IReadOnlyList<KernelSegment> segments, ulong requiredEnd,
        byte[]? setupHeader, uint initrdAddressMax, int cmdlineMaxLength)
    {
        Path = path;
        Format = format;
        Entry = entry;
        Segments = segments;
        RequiredEnd = requiredEnd;
        SetupHeader = setupHeader;
        InitrdAddressMax = initrdAddressMax;
        CmdlineMaxLength = cmdlineMaxLength;
    }

    public string Path { get; }

    public KernelFormat Format { get; }

    /// <summary>Guest-physical address of the 64-bit entry point.</summary>
    public ulong Entry { get; }

    public IReadOnlyList<KernelSegment> Segments { get; }

    /// <summary>First guest-physical address above everything the kernel occupies at boot (for a
    /// bzImage including the room its decompressor needs, init_size).</summary>
    public ulong RequiredEnd { get; }

    /// <summary>The kernel's own setup header bytes (copied into boot_params at 0x1F1), or null for ELF.</summary>
    public byte[]? SetupHeader { get; }

    /// <summary>Highest address the initrd may end at (setup header initrd_addr_max).</summary>
    public uint InitrdAddressMax { get; }

    /// <summary>Longest command line the kernel accepts, without the terminating NUL.</summary>
    public int CmdlineMaxLength { get; }

    /// <summary>Reads and checks <paramref name="path"/>; throws <see cref="BootException"/> naming what is wrong.</summary>
    public static KernelImage Open(string path)
    {
        if (Directory.Exists(path) || !File.Exists(path))
        {
            throw new BootException(BootError.KernelMissing,
                $"kernel '{path}' does not exist. Pass an uncompressed vmlinux (ELF) or a bzImage, e.g. the vmlinux printed by guest-image/kernel/build-kernel.sh.");
        }
        using SafeFileHandle file = OpenRead(path, BootError.KernelMissing, "kernel");
        long length = RandomAccess.GetLength(file);
        var probe = new byte[(int)Math.Min(length, ProbeSize)];
        RandomAccess.Read(file, probe, 0);

        if (ElfKernel.IsElf(probe))
        {
            return ElfKernel.Inspect(path, file, length, probe);
        }
        if (BzImageKernel.IsBzImage(probe))
        {
            return BzImageKernel.Inspect(path, length, probe);
        }
        throw new BootException(BootError.NotAKernel,
            $"'{path}' is not a Linux kernel: it is neither an ELF vmlinux nor a bzImage (no ELF magic, no \"HdrS\" setup header). Pass the kernel image, not an initrd or a config file.");
    }

    /// <summary>Copies every segment into guest memory and zeroes the parts beyond the file data.</summary>
    public void LoadInto(GuestMemory memory)
    {
        using SafeFileHandle file = OpenRead(Path, BootError.KernelMissing, "kernel");
        foreach (KernelSegment segment in Segments)
        {
            var start = new GuestAddress(segment.GuestAddress);
            if (!memory.IsValidRange(start, segment.MemorySize))
            {
                throw new BootException(BootError.KernelDoesNotFit,
                    $"kernel '{Path}' needs guest memory [0x{segment.GuestAddress:x}, 0x{segment.End:x}), which is not RAM in this VM. Give the VM more memory.");
            }
            ReadInto(file, segment.FileOffset, memory, start, segment.FileSize, Path, BootError.NotAKernel);
            memory.Clear(start.Add(segment.FileSize), segment.MemorySize - segment.FileSize);
        }
    }

    internal static SafeFileHandle OpenRead(string path, BootError missing, string what)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootException(missing, $"cannot read {what} '{path}': {e.Message}", e);
        }
    }

    /// <summary>Streams <paramref name="count"/> file bytes straight into guest RAM in 1 MiB chunks.</summary>
    internal static void ReadInto(SafeFileHandle file, long offset, GuestMemory memory, GuestAddress destination, ulong count, string path, BootError whenShort)
    {
        const int chunk = 1 << 20;
        for (ulong done = 0; done < count;)
        {
            int n = (int)Math.Min(chunk, count - done);
            Span<byte> target = memory.GetSpan(destination.Add(done), n);
            int read = RandomAccess.Read(file, target, offset + (long)done);
            if (read <= 0)
            {
                throw new BootException(whenShort, $"'{path}' ended early at byte {offset + (long)done}: the file is truncated or changed while loading");
            }
            done += (ulong)read;
        }
    }
}
