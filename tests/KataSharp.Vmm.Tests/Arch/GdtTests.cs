using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Arch;

public sealed class GdtTests
{
    [Fact]
    public void The_boot_descriptors_are_flat_64bit_code_data_and_a_busy_TSS()
    {
        Assert.Equal([0UL, 0x00AF_9B00_0000_FFFFUL, 0x00CF_9300_0000_FFFFUL, 0x008F_8B00_0000_FFFFUL], Gdt.BootEntries);
        Assert.Equal(31, Gdt.Limit);
    }

    [Fact]
    public void The_hidden_segment_state_matches_the_descriptors()
    {
        var cs = Gdt.CodeSegment;
        Assert.Equal((0UL, 0xFFFF_FFFFu, (ushort)0x08, (byte)0xB, (byte)1, (byte)1, (byte)0, (byte)1, (byte)1, (byte)0),
            (cs.@base, cs.limit, cs.selector, cs.type, cs.present, cs.l, cs.db, cs.s, cs.g, cs.unusable));
        var ds = Gdt.DataSegment;
        Assert.Equal(((ushort)0x10, (byte)0x3, (byte)0, (byte)1, (byte)1), (ds.selector, ds.type, ds.l, ds.db, ds.s));
        var tr = Gdt.TssSegment;
        Assert.Equal(((ushort)0x18, (byte)0xB, (byte)0, (byte)1), (tr.selector, tr.type, tr.s, tr.present));
    }

    [Fact]
    public void Base_and_limit_survive_encoding()
    {
        ulong entry = Gdt.Entry(0x4093, 0x1234_5678, 0xABCDE);
        var segment = Gdt.Segment(entry, 0x28);
        Assert.Equal(0x1234_5678UL, segment.@base);
        Assert.Equal(0xABCDEu, segment.limit); // byte granular: no scaling
    }

    [Fact]
    public void Write_puts_the_table_at_BootGdt_and_an_empty_IDT_after_it()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 1UL << 20)]);
        memory.GetSpan(new GuestAddress(X86Layout.BootIdt), 8).Fill(0xEE);
        Gdt.Write(memory);
        for (int i = 0; i < Gdt.BootEntries.Count; i++)
        {
            Assert.Equal(Gdt.BootEntries[i], memory.Read<ulong>(new GuestAddress(X86Layout.BootGdt + (ulong)i * 8)));
        }
        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress(X86Layout.BootIdt)));
    }
}
