using System.Buffers.Binary;
using KataSharp.Vmm.Arch;
using Microsoft.Win32.SafeHandles;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// Understands an uncompressed ELF64 x86-64 vmlinux: its PT_LOAD segments go to their physical
/// addresses (p_paddr) and e_entry is the physical 64-bit entry (startup_64). Everything the file
/// claims is checked against the file size and the 1 MiB floor before it is trusted.
/// </summary>
internal static class ElfKernel
{
    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const int MaxProgramHeaders = 64;
    private const byte ClassElf64 = 2;
    private const byte DataLittleEndian = 1;
    private const ushort TypeExecutable = 2;
    private const ushort MachineX86_64 = 62;
    private const uint ProgramLoad = 1;

    public static bool IsElf(ReadOnlySpan<byte> probe) =>
        probe.Length >= 4 && probe[0] == 0x7F && probe[1] == (byte)'E' && probe[2] == (byte)'L' && probe[3] == (byte)'F';

    public static KernelImage Inspect(string path, SafeFileHandle file, long fileLength, ReadOnlySpan<byte> probe)
    {
        if (probe.Length < HeaderSize || probe[4] != ClassElf64 || probe[5] != DataLittleEndian)
        {
            throw Unsupported(path, "it is an ELF file but not 64-bit little-endian");
        }
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(probe[0x10..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(probe[0x12..]);
        if (machine != MachineX86_64)
        {
            throw Unsupported(path, $"it is an ELF file for machine {machine}, not x86-64 (62)");
        }
        if (type != TypeExecutable)
        {
            throw Unsupported(path, $"it is an ELF file of type {type}, not an executable (a vmlinux is ET_EXEC)");
        }
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(probe[0x18..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(probe[0x20..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(probe[0x36..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(probe[0x38..]);
        if (phentsize != ProgramHeaderSize || phnum == 0 || phnum > MaxProgramHeaders
            || phoff > (ulong)fileLength || (ulong)fileLength - phoff < (ulong)phnum * ProgramHeaderSize)
        {
            throw Unsupported(path, $"its program header table ({phnum} entries of {phentsize} bytes at {phoff}) is missing or malformed");
        }

        var table = new byte[phnum * ProgramHeaderSize];
        RandomAccess.Read(file, table, (long)phoff);
        var segments = new List<KernelSegment>();
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> ph = table.AsSpan(i * ProgramHeaderSize, ProgramHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != ProgramLoad)
            {
                continue;
            }
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            ulong paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
            ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            if (filesz > memsz || offset > (ulong)fileLength || (ulong)fileLength - offset < filesz)
            {
                throw Unsupported(path, $"segment {i} claims {filesz} file bytes at offset {offset} (memory size {memsz}) beyond the {fileLength}-byte file");
            }
            if (paddr < X86Layout.HighMemoryStart || paddr > ulong.MaxValue - memsz)
            {
                throw Unsupported(path, $"segment {i} loads at physical 0x{paddr:x}, below 1 MiB where the boot data lives (is this a 64-bit vmlinux?)");
            }
            segments.Add(new KernelSegment((long)offset, filesz, paddr, memsz));
        }
        if (segments.Count == 0)
        {
            throw Unsupported(path, "it has no PT_LOAD segment");
        }
        if (!segments.Any(s => entry >= s.GuestAddress && entry < s.End))
        {
            throw Unsupported(path, $"its entry point 0x{entry:x} is not inside any loaded segment (e_entry must be the physical startup_64)");
        }
        return new KernelImage(path, KernelFormat.Elf, entry, segments, segments.Max(s => s.End),
            setupHeader: null, SetupHeader.DefaultInitrdAddrMax, X86Layout.CmdlineMaxSize - 1);
    }

    private static BootException Unsupported(string path, string why) =>
        new(BootError.UnsupportedKernel, $"kernel '{path}' cannot be booted: {why}.");
}
