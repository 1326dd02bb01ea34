using System.Text;
using KataSharp.Vmm.Boot;
using Xunit;

namespace KataSharp.Vmm.Tests.Boot;

public sealed class KernelCmdlineTests
{
    [Fact]
    public void The_default_puts_the_console_on_COM1_and_reboots_through_the_i8042_on_panic()
    {
        Assert.Equal("console=ttyS0 reboot=k panic=-1", KernelCmdline.Default);
    }

    [Fact]
    public void Appended_parameters_are_space_separated_and_NUL_terminated()
    {
        var cmdline = new KernelCmdline("console=ttyS0").Append(" virtio_mmio.device=4K@0xd0000000:5 ");
        Assert.Equal("console=ttyS0 virtio_mmio.device=4K@0xd0000000:5", cmdline.ToString());
        Assert.Equal(Encoding.ASCII.GetBytes("console=ttyS0 virtio_mmio.device=4K@0xd0000000:5\0"), cmdline.ToBytes(2047));
    }

    [Fact]
    public void A_command_line_longer_than_the_kernel_accepts_is_rejected()
    {
        var cmdline = new KernelCmdline(new string('a', 300));
        BootException e = Assert.Throws<BootException>(() => cmdline.ToBytes(255));
        Assert.Equal(BootError.CmdlineInvalid, e.Error);
        Assert.Contains("at most 255", e.Message);
    }

    [Theory]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("caf\u00e9")]
    public void Characters_the_kernel_cannot_parse_are_rejected(string text)
    {
        Assert.Equal(BootError.CmdlineInvalid, Assert.Throws<BootException>(() => new KernelCmdline(text)).Error);
    }
}
