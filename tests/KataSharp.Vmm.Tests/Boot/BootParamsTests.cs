using System.Buffers.Binary;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Boot;

/// <summary>The zero page, byte by byte.</summary>
public sealed class BootParamsTests : IDisposable
{
    private readonly TempDirectory _files = new();

    private static readonly E820Entry[] E820 =
    [
        new(0, 0x9FC00, E820Type.Ram),
        new(0x10_0000, 0xBFF0_0000, E820Type.Ram),
        new(0x1_0000_0000, 0x4000_0000, E820Type.Ram),
    ];

    [Fact]
    public void An_elf_kernel_gets_a_minimal_header_and_the_loader_fields()
    {
        KernelImage kernel = KernelImage.Open(_files.File("vmlinux", SyntheticElf.Build([0x90], 0x100_0000, 0x100_0000)));
        byte[] page = BootParams.Build(kernel, cmdlineAddress: 0x20000, initrdAddress: 0x1_2345_6000, initrdSize: 0x1_0000_1000, E820);

        Assert.Equal(4096, page.Length);
        Assert.Equal(0xAA55, U16(page, 0x1FE));
        Assert.Equal(0x53726448u, U32(page, 0x202));
        Assert.Equal(0x020F, U16(page, 0x206));
        Assert.Equal(0xFF, page[0x210]);
        Assert.Equal(0x01, page[0x211] & 0x01);
        Assert.Equal(0x20000u, U32(page, 0x228));
        Assert.Equal(0u, U32(page, 0x0C8));
        Assert.Equal(0x2345_6000u, U32(page, 0x218));   // ramdisk_image low half
        Assert.Equal(0x1u, U32(page, 0x0C0));           // ext_ramdisk_image
        Assert.Equal(0x0000_1000u, U32(page, 0x21C));   // ramdisk_size low half
        Assert.Equal(0x1u, U32(page, 0x0C4));           // ext_ramdisk_size
        Assert.Equal(0x7FFF_FFFFu, U32(page, 0x22C));
        Assert.Equal(2047u, U32(page, 0x238));
        Assert.Equal(3, page[0x1E8]);
        for (int i = 0; i < E820.Length; i++)
        {
            int at = 0x2D0 + 20 * i;
            Assert.Equal(E820[i].Address, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(at)));
            Assert.Equal(E820[i].Size, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(at + 8)));
            Assert.Equal((uint)E820[i].Type, U32(page, at + 16));
        }
        Assert.All(page.AsSpan(0x2D0 + 20 * E820.Length, 20).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_bzimage_keeps_its_own_header_fields_under_the_loader_fields()
    {
        byte[] file = SyntheticBzImage.Build(new byte[1024], initSize: 0x123_4000, cmdlineSize: 1500);
        KernelImage kernel = KernelImage.Open(_files.File("bzImage", file));
        byte[] page = BootParams.Build(kernel, 0x20000, 0, 0, E820);

        Assert.Equal(0x123_4000u, U32(page, 0x260));   // init_size from the kernel
        Assert.Equal(1500u, U32(page, 0x238));         // cmdline_size from the kernel
        Assert.Equal(0x020F, U16(page, 0x206));
        Assert.Equal(0xFF, page[0x210]);
        Assert.Equal(0x20000u, U32(page, 0x228));
        Assert.Equal(0u, U32(page, 0x218));
        Assert.Equal(file.AsSpan(0x1F1, 0x210 - 0x1F1).ToArray(), page.AsSpan(0x1F1, 0x210 - 0x1F1).ToArray());
    }

    private static ushort U16(byte[] page, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(offset));

    private static uint U32(byte[] page, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(offset));

    public void Dispose() => _files.Dispose();
}
