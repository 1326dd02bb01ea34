using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Boot;

public sealed class InitrdImageTests : IDisposable
{
    private readonly TempDirectory _files = new();

    [Fact]
    public void The_initrd_goes_as_high_as_RAM_allows_page_aligned()
    {
        InitrdImage initrd = InitrdImage.Open(_files.File("initrd", new byte[10_000]));
        ulong address = initrd.PlaceBelow(ramLimit: 64UL << 20, initrdAddressMax: 0x7FFF_FFFF, kernelEnd: 0x200_0000);
        Assert.Equal(((64UL << 20) - 10_000) & ~0xFFFUL, address);
        Assert.True(address + initrd.Size <= 64UL << 20);
    }

    [Fact]
    public void The_initrd_ends_below_the_kernels_initrd_addr_max()
    {
        InitrdImage initrd = InitrdImage.Open(_files.File("initrd", new byte[4096]));
        ulong address = initrd.PlaceBelow(ramLimit: 3UL << 30, initrdAddressMax: 0x3FFF_FFFF, kernelEnd: 0x200_0000);
        Assert.Equal(0x4000_0000UL - 4096, address);
    }

    [Fact]
    public void An_initrd_that_does_not_fit_above_the_kernel_is_rejected()
    {
        InitrdImage initrd = InitrdImage.Open(_files.File("initrd", new byte[3 << 20]));
        BootException e = Assert.Throws<BootException>(() => initrd.PlaceBelow(ramLimit: 64UL << 20, initrdAddressMax: 0x7FFF_FFFF, kernelEnd: 62UL << 20));
        Assert.Equal(BootError.InitrdDoesNotFit, e.Error);
        Assert.Contains("more memory", e.Message);
    }

    [Fact]
    public void A_missing_initrd_is_named()
    {
        string path = Path.Combine(_files.Path, "missing.cpio");
        BootException e = Assert.Throws<BootException>(() => InitrdImage.Open(path));
        Assert.Equal(BootError.InitrdMissing, e.Error);
        Assert.Contains(path, e.Message);
    }

    public void Dispose() => _files.Dispose();
}
