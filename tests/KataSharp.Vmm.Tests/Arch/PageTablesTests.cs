using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Memory;
using Xunit;

namespace KataSharp.Vmm.Tests.Arch;

public sealed class PageTablesTests
{
    [Fact]
    public void The_first_4GiB_are_identity_mapped_with_2MiB_pages()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 1UL << 20)]);
        PageTables.Write(memory);

        Assert.Equal(X86Layout.Pdpt | 3, memory.Read<ulong>(new GuestAddress(X86Layout.Pml4)));
        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress(X86Layout.Pml4 + 8)));
        for (int pd = 0; pd < 4; pd++)
        {
            ulong directory = X86Layout.PageDirectory + (ulong)pd * 0x1000;
            Assert.Equal(directory | 3, memory.Read<ulong>(new GuestAddress(X86Layout.Pdpt + (ulong)pd * 8)));
            Assert.Equal(((ulong)pd << 30) | 0x83, memory.Read<ulong>(new GuestAddress(directory)));
            Assert.Equal(((ulong)pd << 30) + (511UL << 21) | 0x83, memory.Read<ulong>(new GuestAddress(directory + 511 * 8)));
        }
        Assert.Equal(0UL, memory.Read<ulong>(new GuestAddress(X86Layout.Pdpt + 4 * 8)));
        Assert.Equal(4UL << 30, PageTables.MappedBytes);
        Assert.True(X86Layout.PageDirectory + 4 * 0x1000 <= X86Layout.CmdlineStart);
    }

    [Fact]
    public void The_walker_translates_through_the_tables_like_the_CPU()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 1UL << 20)]);
        PageTables.Write(memory);
        ulong cr0 = BootCpuState.Cr0, cr4 = BootCpuState.Cr4, efer = BootCpuState.Efer;
        Assert.Equal(0xD000_0123UL, GuestPageWalker.Translate(memory, cr0, X86Layout.Pml4, cr4, efer, 0xD000_0123));
        Assert.Null(GuestPageWalker.Translate(memory, cr0, X86Layout.Pml4, cr4, efer, 5UL << 30));
        Assert.Equal(0x1234UL, GuestPageWalker.Translate(memory, 0, 0, 0, 0, 0x1234));
    }
}
