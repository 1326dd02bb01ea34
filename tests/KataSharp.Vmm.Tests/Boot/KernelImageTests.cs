using System.Buffers.Binary;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Boot;

public sealed class KernelImageTests : IDisposable
{
    private readonly TempDirectory _files = new();

    [Fact]
    public void An_elf_vmlinux_loads_each_segment_at_its_physical_address_and_zeroes_the_rest()
    {
        byte[] text = [0x90, 0x90, 0xEB, 0xFE];
        byte[] data = [1, 2, 3, 4, 5];
        string path = _files.File("vmlinux", SyntheticElf.Build(0x100_0002,
            [(text, 0x100_0000, (ulong)text.Length), (data, 0x120_0000, 0x3000)]));

        KernelImage kernel = KernelImage.Open(path);

        Assert.Equal(KernelFormat.Elf, kernel.Format);
        Assert.Equal(0x100_0002UL, kernel.Entry);
        Assert.Equal(0x120_3000UL, kernel.RequiredEnd);
        Assert.Null(kernel.SetupHeader);
        Assert.Equal(SetupHeader.DefaultInitrdAddrMax, kernel.InitrdAddressMax);

        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 64UL << 20)]);
        memory.GetSpan(new GuestAddress(0x120_0000), 0x3000).Fill(0xCC); // garbage where bss goes
        kernel.LoadInto(memory);

        Assert.Equal(text, memory.GetSpan(new GuestAddress(0x100_0000), text.Length).ToArray());
        Assert.Equal(data, memory.GetSpan(new GuestAddress(0x120_0000), data.Length).ToArray());
        Assert.All(memory.GetSpan(new GuestAddress(0x120_0000 + 5), 0x3000 - 5).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_bzimage_loads_its_protected_mode_part_at_1MiB_with_the_64bit_entry_at_0x200()
    {
        byte[] payload = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        string path = _files.File("bzImage", SyntheticBzImage.Build(payload, setupSects: 3, initSize: 0x80_0000, initrdAddrMax: 0x3FFF_FFFF, cmdlineSize: 1000));

        KernelImage kernel = KernelImage.Open(path);

        Assert.Equal(KernelFormat.BzImage, kernel.Format);
        Assert.Equal(0x10_0200UL, kernel.Entry);
        Assert.Equal(0x10_0000UL + 0x80_0000, kernel.RequiredEnd); // init_size beyond the file
        Assert.Equal(0x3FFF_FFFFu, kernel.InitrdAddressMax);
        Assert.Equal(1000, kernel.CmdlineMaxLength);
        Assert.NotNull(kernel.SetupHeader);
        Assert.Equal(BootParamsLayout.SetupHeaderEnd - BootParamsLayout.SetupHeader, kernel.SetupHeader!.Length);
        Assert.Equal(SetupHeader.HeaderMagic, BinaryPrimitives.ReadUInt32LittleEndian(kernel.SetupHeader.AsSpan(BootParamsLayout.Header - BootParamsLayout.SetupHeader)));

        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), 64UL << 20)]);
        kernel.LoadInto(memory);
        Assert.Equal(payload, memory.GetSpan(new GuestAddress(0x10_0000), payload.Length).ToArray());
    }

    [Fact]
    public void A_missing_kernel_or_a_directory_is_reported_as_missing()
    {
        Assert.Equal(BootError.KernelMissing, Assert.Throws<BootException>(() => KernelImage.Open(Path.Combine(_files.Path, "nope"))).Error);
        BootException e = Assert.Throws<BootException>(() => KernelImage.Open(_files.Path));
        Assert.Equal(BootError.KernelMissing, e.Error);
        Assert.Contains(_files.Path, e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(5000)]
    public void A_file_that_is_no_kernel_is_rejected_by_name(int length)
    {
        string path = _files.File("initrd.img", Enumerable.Repeat((byte)0x42, length).ToArray());
        BootException e = Assert.Throws<BootException>(() => KernelImage.Open(path));
        Assert.Equal(BootError.NotAKernel, e.Error);
        Assert.Contains("not a Linux kernel", e.Message);
    }

    public static TheoryData<string, byte[]> BadElves() => new()
    {
        { "not 64-bit", SyntheticElf.Build(0x100_0000, [([0x90], 0x100_0000, 1)], elfClass: 1) },
        { "not x86-64", SyntheticElf.Build(0x100_0000, [([0x90], 0x100_0000, 1)], machine: 183) },
        { "not an executable", SyntheticElf.Build(0x100_0000, [([0x90], 0x100_0000, 1)], type: 1) },
        { "below 1 MiB", SyntheticElf.Build(0x1000, [([0x90], 0x1000, 1)]) },
        { "not inside any loaded segment", SyntheticElf.Build(0x200_0000, [([0x90], 0x100_0000, 1)]) },
        { "program header table", SyntheticElf.Build(0x100_0000, []) },
    };

    [Theory]
    [MemberData(nameof(BadElves))]
    public void A_malformed_elf_is_rejected_with_the_reason(string why, byte[] elf)
    {
        string path = _files.File("vmlinux", elf);
        BootException e = Assert.Throws<BootException>(() => KernelImage.Open(path));
        Assert.Equal(BootError.UnsupportedKernel, e.Error);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void An_elf_segment_claiming_more_file_bytes_than_exist_is_rejected()
    {
        byte[] elf = SyntheticElf.Build(0x100_0000, [([0x90, 0x90], 0x100_0000, 2)]);
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(SyntheticElf.HeaderSize + 32), 1 << 20); // p_filesz
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(SyntheticElf.HeaderSize + 40), 1 << 20); // p_memsz
        string path = _files.File("vmlinux", elf);
        BootException e = Assert.Throws<BootException>(() => KernelImage.Open(path));
        Assert.Equal(BootError.UnsupportedKernel, e.Error);
        Assert.Contains("beyond the", e.Message);
    }

    [Theory]
    [InlineData(0x0206, SetupHeader.XlfKernel64, "2.12")]
    [InlineData(0x020F, 0, "XLF_KERNEL_64")]
    public void A_bzimage_without_a_64bit_entry_is_rejected(ushort version, ushort xloadflags, string why)
    {
        string path = _files.File("bzImage", SyntheticBzImage.Build(new byte[600], version: version, xloadflags: xloadflags));
        BootException e = Assert.Throws<BootException>(() => KernelImage.Open(path));
        Assert.Equal(BootError.UnsupportedKernel, e.Error);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_kernel_that_does_not_fit_the_memory_is_reported_before_loading()
    {
        string path = _files.File("vmlinux", SyntheticElf.Build([0x90], 0x100_0000, 0x100_0000, extraZeroBytes: 100UL << 20));
        KernelImage kernel = KernelImage.Open(path);
        BootException e = Assert.Throws<BootException>(() => LinuxBoot.Plan(kernel, null, 64UL << 20));
        Assert.Equal(BootError.KernelDoesNotFit, e.Error);
        Assert.Contains("more memory", e.Message);
    }

    public void Dispose() => _files.Dispose();
}
