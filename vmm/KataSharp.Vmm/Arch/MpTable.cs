using System.Buffers.Binary;
using System.Text;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// An Intel MultiProcessor Specification 1.4 table, so Linux finds every vCPU and the IOAPIC
/// without ACPI: the floating pointer at <see cref="X86Layout.EbdaStart"/> (where Linux scans),
/// then the configuration table: one processor entry per vCPU, an ISA bus, the IOAPIC, an I/O
/// interrupt entry per IOAPIC pin (ISA IRQ n → pin n, as KVM's default routing wires them), and
/// the local interrupt entries (ExtINT → BSP LINT0, NMI → every LINT1).
/// </summary>
public static class MpTable
{
    public const int FloatingPointerSize = 16;
    public const int HeaderSize = 44;
    public const int ProcessorEntrySize = 20;
    public const int SmallEntrySize = 8;
    public const int IoApicPins = 24;
    public const int LocalInterruptEntries = 2;
    public const byte SpecRevision = 4;
    public const byte LocalApicVersion = 0x14;
    public const byte IoApicVersion = 0x11;
    public const byte IsaBusId = 0;

    public const byte EntryProcessor = 0;
    public const byte EntryBus = 1;
    public const byte EntryIoApic = 2;
    public const byte EntryIoInterrupt = 3;
    public const byte EntryLocalInterrupt = 4;

    public const byte InterruptInt = 0;
    public const byte InterruptNmi = 1;
    public const byte InterruptExtInt = 3;

    public const byte CpuEnabled = 1;
    public const byte CpuBootstrap = 2;

    /// <summary>CPUID.1:EDX FPU and APIC: the feature flags an MP processor entry advertises.</summary>
    public const uint CpuFeatureFlags = (1u << 0) | (1u << 9);

    /// <summary>The table must end below 1 MiB: [EBDA, 1 MiB) is guest memory but not RAM in the e820 map.</summary>
    public const ulong Limit = X86Layout.HighMemoryStart;

    public static int Size(int vcpuCount) =>
        FloatingPointerSize + HeaderSize + vcpuCount * ProcessorEntrySize + SmallEntrySize * (2 + IoApicPins + LocalInterruptEntries);

    /// <summary>The IOAPIC's id: the first one after the local APIC ids 0..n-1.</summary>
    public static byte IoApicId(int vcpuCount) => (byte)vcpuCount;

    /// <summary>Writes the table for <paramref name="vcpuCount"/> vCPUs (APIC ids 0..n-1, vCPU 0 boots).</summary>
    public static void Write(GuestMemory memory, int vcpuCount, uint cpuSignature)
    {
        if (vcpuCount < 1 || vcpuCount > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(vcpuCount), vcpuCount, "an MP table holds 1 to 254 processors");
        }
        ulong start = X86Layout.EbdaStart;
        if (start + (ulong)Size(vcpuCount) > Limit)
        {
            throw new ArgumentOutOfRangeException(nameof(vcpuCount), vcpuCount, "MP table would not fit below 1 MiB");
        }
        var table = new byte[Size(vcpuCount)];
        WriteConfigurationTable(table.AsSpan(FloatingPointerSize), vcpuCount, cpuSignature);
        WriteFloatingPointer(table.AsSpan(0, FloatingPointerSize), (uint)start + FloatingPointerSize);
        memory.Write(new GuestAddress(start), table);
    }

    private static void WriteFloatingPointer(Span<byte> p, uint configTable)
    {
        Encoding.ASCII.GetBytes("_MP_", p);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], configTable);
        p[8] = 1;               // length in 16-byte units
        p[9] = SpecRevision;
        p[11] = 0;              // feature byte 1: 0 = a configuration table follows
        p[12] = 0;              // feature byte 2: IMCR absent, virtual wire mode
        p[10] = Checksum(p);
    }

    private static void WriteConfigurationTable(Span<byte> t, int vcpuCount, uint cpuSignature)
    {
        byte ioApicId = IoApicId(vcpuCount);
        int at = HeaderSize;
        for (int cpu = 0; cpu < vcpuCount; cpu++)
        {
            Span<byte> e = t.Slice(at, ProcessorEntrySize);
            e[0] = EntryProcessor;
            e[1] = (byte)cpu;
            e[2] = LocalApicVersion;
            e[3] = (byte)(CpuEnabled | (cpu == 0 ? CpuBootstrap : 0));
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], cpuSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], CpuFeatureFlags);
            at += ProcessorEntrySize;
        }

        Span<byte> bus = t.Slice(at, SmallEntrySize);
        bus[0] = EntryBus;
        bus[1] = IsaBusId;
        Encoding.ASCII.GetBytes("ISA   ", bus[2..]);
        at += SmallEntrySize;

        Span<byte> ioapic = t.Slice(at, SmallEntrySize);
        ioapic[0] = EntryIoApic;
        ioapic[1] = ioApicId;
        ioapic[2] = IoApicVersion;
        ioapic[3] = 1; // enabled
        BinaryPrimitives.WriteUInt32LittleEndian(ioapic[4..], (uint)X86Layout.IoApicBase);
        at += SmallEntrySize;

        for (int pin = 0; pin < IoApicPins; pin++)
        {
            Span<byte> e = t.Slice(at, SmallEntrySize);
            e[0] = EntryIoInterrupt;
            e[1] = InterruptInt;
            // e[2..4] flags 0: polarity and trigger conform to the bus (ISA: active high, edge).
            e[4] = IsaBusId;
            e[5] = (byte)pin;
            e[6] = ioApicId;
            e[7] = (byte)pin;
            at += SmallEntrySize;
        }

        WriteLocalInterrupt(t.Slice(at, SmallEntrySize), InterruptExtInt, destinationApic: 0, lint: 0);
        at += SmallEntrySize;
        WriteLocalInterrupt(t.Slice(at, SmallEntrySize), InterruptNmi, destinationApic: 0xFF, lint: 1);
        at += SmallEntrySize;

        Encoding.ASCII.GetBytes("PCMP", t);
        BinaryPrimitives.WriteUInt16LittleEndian(t[4..], (ushort)at);                 // base table length
        t[6] = SpecRevision;
        Encoding.ASCII.GetBytes("KATASHRP", t[8..]);                                   // OEM id, 8 bytes
        Encoding.ASCII.GetBytes("MICROVM     ", t[16..]);                              // product id, 12 bytes
        BinaryPrimitives.WriteUInt16LittleEndian(t[34..], (ushort)(vcpuCount + 2 + IoApicPins + LocalInterruptEntries));
        BinaryPrimitives.WriteUInt32LittleEndian(t[36..], (uint)X86Layout.LocalApicBase);
        t[7] = Checksum(t[..at]);
    }

    private static void WriteLocalInterrupt(Span<byte> e, byte type, byte destinationApic, byte lint)
    {
        e[0] = EntryLocalInterrupt;
        e[1] = type;
        e[4] = IsaBusId;
        e[5] = 0;
        e[6] = destinationApic;
        e[7] = lint;
    }

    /// <summary>The byte that makes the sum of <paramref name="bytes"/> zero (its own slot must be 0 when called).</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes)
        {
            sum += b;
        }
        return (byte)-sum;
    }
}
