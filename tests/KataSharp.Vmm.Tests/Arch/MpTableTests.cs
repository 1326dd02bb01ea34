using System.Buffers.Binary;
using System.Text;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Arch;

/// <summary>The MP table byte by byte, as Linux's mpparse reads it.</summary>
public sealed class MpTableTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(64)]
    public void The_table_lists_every_vcpu_the_ISA_bus_the_IOAPIC_and_24_interrupts(int vcpus)
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 1UL << 20)]);
        MpTable.Write(memory, vcpus, cpuSignature: 0x000806F8);

        byte[] fp = Read(memory, X86Layout.EbdaStart, 16);
        Assert.Equal("_MP_", Encoding.ASCII.GetString(fp, 0, 4));
        uint configAddress = BinaryPrimitives.ReadUInt32LittleEndian(fp.AsSpan(4));
        Assert.Equal((uint)X86Layout.EbdaStart + 16, configAddress);
        Assert.Equal((1, 4, 0), (fp[8], fp[9], fp[11]));
        Assert.Equal(0, Sum(fp));

        byte[] header = Read(memory, configAddress, MpTable.HeaderSize);
        int length = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(4));
        byte[] table = Read(memory, configAddress, length);
        Assert.Equal("PCMP", Encoding.ASCII.GetString(table, 0, 4));
        Assert.Equal(4, table[6]);
        Assert.Equal(0, Sum(table));
        Assert.Equal(vcpus + 1 + 1 + 24 + 2, BinaryPrimitives.ReadUInt16LittleEndian(table.AsSpan(34)));
        Assert.Equal((uint)X86Layout.LocalApicBase, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(36)));
        Assert.True(configAddress + (ulong)length <= X86Layout.HighMemoryStart);

        int at = MpTable.HeaderSize;
        for (int cpu = 0; cpu < vcpus; cpu++, at += 20)
        {
            Assert.Equal(0, table[at]);
            Assert.Equal(cpu, table[at + 1]);
            Assert.Equal(cpu == 0 ? 3 : 1, table[at + 3]);
            Assert.Equal(0x000806F8u, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 4)));
        }
        Assert.Equal([1, 0, .. "ISA   "u8.ToArray()], table[at..(at + 8)]);
        at += 8;
        Assert.Equal((2, vcpus, 0x11, 1), (table[at], table[at + 1], table[at + 2], table[at + 3]));
        Assert.Equal((uint)X86Layout.IoApicBase, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(at + 4)));
        at += 8;
        for (int pin = 0; pin < 24; pin++, at += 8)
        {
            Assert.Equal(new byte[] { 3, 0, 0, 0, 0, (byte)pin, (byte)vcpus, (byte)pin }, table[at..(at + 8)]);
        }
        Assert.Equal(new byte[] { 4, 3, 0, 0, 0, 0, 0, 0 }, table[at..(at + 8)]);          // ExtINT → BSP LINT0
        Assert.Equal(new byte[] { 4, 1, 0, 0, 0, 0, 0xFF, 1 }, table[(at + 8)..(at + 16)]); // NMI → all LINT1
        Assert.Equal(length, at + 16);
    }

    [Fact]
    public void Zero_vcpus_are_refused()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 1UL << 20)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Write(memory, 0, 0));
    }

    private static byte[] Read(GuestMemory memory, ulong address, int length)
    {
        var bytes = new byte[length];
        memory.Read(new GuestAddress(address), bytes);
        return bytes;
    }

    private static int Sum(byte[] bytes) => bytes.Aggregate(0, (s, b) => (s + b) & 0xFF);
}
