using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Machine;

/// <summary>
/// Bad input fails before any VM exists. Each builder points at a KVM device that does not
/// exist: an error other than "no /dev/kvm" proves the input was checked first.
/// </summary>
public sealed class MachineBuilderTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly string _kernel;

    public MachineBuilderTests() => _kernel = _files.File("vmlinux", SyntheticElf.Build([0xF4], 0x100_0000, 0x100_0000));

    private MachineBuilder Builder() => new MachineBuilder()
        .WithKernel(_kernel)
        .WithKvmDevice(Path.Combine(_files.Path, "no-kvm-here"));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65)]
    [InlineData(1000)]
    public void An_absurd_vcpu_count_is_rejected_naming_the_option(int vcpus)
    {
        VmConfigException e = Assert.Throws<VmConfigException>(() => Builder().WithVcpus(vcpus).Build());
        Assert.Equal("vcpus", e.Option);
        Assert.Contains("1 to 64", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(63)]
    public void Too_little_memory_is_rejected_naming_the_minimum(int mebibytes)
    {
        VmConfigException e = Assert.Throws<VmConfigException>(() => Builder().WithMemoryMiB(mebibytes).Build());
        Assert.Equal("memory", e.Option);
        Assert.Contains("at least 64 MiB", e.Message);
    }

    [Fact]
    public void More_memory_than_the_host_has_is_rejected()
    {
        VmConfigException e = Assert.Throws<VmConfigException>(() => Builder().WithMemoryMiB(int.MaxValue).Build());
        Assert.Equal("memory", e.Option);
        Assert.Contains("more than this host has", e.Message);
    }

    [Fact]
    public void A_missing_kernel_is_rejected_before_KVM_is_touched()
    {
        Assert.Equal("kernel", Assert.Throws<VmConfigException>(() => new MachineBuilder().Build()).Option);
        BootException e = Assert.Throws<BootException>(() => Builder().WithKernel(Path.Combine(_files.Path, "vmlinux-missing")).Build());
        Assert.Equal(BootError.KernelMissing, e.Error);
    }

    [Fact]
    public void A_file_that_is_not_a_kernel_is_rejected_before_KVM_is_touched()
    {
        string notKernel = _files.File("config.txt", "CONFIG_SMP=y\n"u8.ToArray());
        Assert.Equal(BootError.NotAKernel, Assert.Throws<BootException>(() => Builder().WithKernel(notKernel).Build()).Error);
    }

    [Fact]
    public void A_missing_initrd_and_a_bad_command_line_are_rejected_before_KVM_is_touched()
    {
        Assert.Equal(BootError.InitrdMissing, Assert.Throws<BootException>(() => Builder().WithInitrd(Path.Combine(_files.Path, "nope.cpio")).Build()).Error);
        Assert.Equal(BootError.CmdlineInvalid, Assert.Throws<BootException>(() => Builder().WithCmdline(new string('x', 5000)).Build()).Error);
    }

    [Fact]
    public void Without_a_KVM_device_the_error_says_how_to_get_one()
    {
        KvmException e = Assert.Throws<KvmException>(() => Builder().Build());
        Assert.Equal(KvmError.DeviceMissing, e.Error);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_device_that_is_not_KVM_is_recognised()
    {
        KvmException e = Assert.Throws<KvmException>(() => Builder().WithKvmDevice("/dev/null").Build());
        Assert.Equal(KvmError.ApiVersionMismatch, e.Error);
        Assert.Contains("not a KVM device", e.Message);
    }

    public void Dispose() => _files.Dispose();
}
