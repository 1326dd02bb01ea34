using System.Buffers.Binary;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>Builds minimal ELF64 x86-64 executables for loader tests and guest programs.</summary>
public static class SyntheticElf
{
    public const int HeaderSize = 64;
    public const int ProgramHeaderSize = 56;

    /// <summary>One PT_LOAD segment of <paramref name="code"/> at <paramref name="loadAddress"/>, entered at <paramref name="entry"/>.</summary>
    public static byte[] Build(byte[] code, ulong loadAddress, ulong entry, ulong extraZeroBytes = 0) =>
        Build(entry, [(code, loadAddress, (ulong)code.Length + extraZeroBytes)]);

    /// <summary>Several PT_LOAD segments (data, physical address, memory size), in order.</summary>
    public static byte[] Build(ulong entry, IReadOnlyList<(byte[] Data, ulong PhysicalAddress, ulong MemorySize)> segments,
        ushort type = 2, ushort machine = 62, byte elfClass = 2)
    {
        int dataStart = HeaderSize + segments.Count * ProgramHeaderSize;
        int total = dataStart + segments.Sum(s => s.Data.Length);
        var file = new byte[total];
        Span<byte> h = file;
        h[0] = 0x7F; h[1] = (byte)'E'; h[2] = (byte)'L'; h[3] = (byte)'F';
        h[4] = elfClass;  // ELFCLASS64
        h[5] = 1;         // little-endian
        h[6] = 1;         // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(h[0x10..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[0x12..], machine);
        BinaryPrimitives.WriteUInt32LittleEndian(h[0x14..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[0x18..], entry);
        BinaryPrimitives.WriteUInt64LittleEndian(h[0x20..], HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[0x34..], HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[0x36..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[0x38..], (ushort)segments.Count);

        int offset = dataStart;
        for (int i = 0; i < segments.Count; i++)
        {
            var (data, paddr, memsz) = segments[i];
            Span<byte> ph = h.Slice(HeaderSize + i * ProgramHeaderSize, ProgramHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);          // PT_LOAD
            BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 7);     // RWX
            BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], paddr | 0xFFFF_FFFF_8000_0000); // a kernel-like virtual address
            BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], paddr);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memsz);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
            data.CopyTo(file, offset);
            offset += data.Length;
        }
        return file;
    }
}
