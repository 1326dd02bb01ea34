using System.Net.NetworkInformation;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Tests.Virtio.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Machine;

/// <summary>
/// The VMM's front door fails with one exception type whose <see cref="VmmException.Failure"/> says whose the problem is,
/// and leaves nothing behind: what a device spec owns is closed when the machine fails before the device exists.
/// (Every boot through it is covered where Linux boots: the shim and katasharp-vmm scenarios in the test host.)
/// </summary>
public sealed class MicroVmTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly string _kernel;

    public MicroVmTests() => _kernel = _files.File("vmlinux", SyntheticElf.Build([0xF4], 0x100_0000, 0x100_0000));

    [Fact]
    public void A_bad_size_is_the_configurations_problem_naming_the_option()
    {
        VmmException e = Assert.ThrowsAny<VmmException>(() => MicroVm.Create(new MicroVmConfig { Kernel = _kernel, MemoryMiB = 8 }));
        Assert.Equal(VmmFailure.BadConfiguration, e.Failure);
        Assert.Equal("memory", e.Option);
        Assert.IsType<VmConfigException>(e);
    }

    [Fact]
    public void A_missing_kernel_is_the_configurations_problem()
    {
        VmmException e = Assert.ThrowsAny<VmmException>(() => MicroVm.Create(new MicroVmConfig { Kernel = Path.Combine(_files.Path, "gone") }));
        Assert.Equal(VmmFailure.BadConfiguration, e.Failure);
        Assert.Equal(BootError.KernelMissing, Assert.IsType<BootException>(e).Error);
    }

    [Fact]
    public void A_tap_descriptor_handed_in_is_closed_when_the_machine_fails_before_its_device_exists()
    {
        var tap = FileDescriptor.Open("/dev/null", 0);
        var net = new NetDeviceSpec("net0", PhysicalAddress.Parse("02-00-00-00-00-01")) { TapDescriptor = tap };
        Assert.ThrowsAny<VmmException>(() => MicroVm.Create(new MicroVmConfig { Kernel = _kernel, MemoryMiB = 8, Devices = [net] }));
        Assert.True(tap.IsClosed);
    }

    [KvmFact]
    public void Media_changes_go_through_the_block_worker_stop_ends_it_and_dispose_leaves_no_thread()
    {
        string first = _files.File("first.img", new byte[64 * 1024]);
        string second = _files.File("second.img", new byte[128 * 1024]);
        var vm = MicroVm.Create(new MicroVmConfig { Kernel = _kernel, Devices = [new BlockDeviceSpec("blkmv", first, ReadOnly: false)] });
        try
        {
            var disk = (KataSharp.Vmm.Virtio.Devices.Block.BlockDevice)vm.Devices[0].Device;
            Eventually.True(() => ThreadsNamed("blkmv-io") == 1, "one OS thread named blkmv-io");
            vm.InsertMedium("blkmv", second, "s2", readOnly: true); // a command run by the worker
            Assert.Equal((second, true), (disk.MediaPath, disk.MediaIsReadOnly));
            Assert.ThrowsAny<VmmException>(() => vm.InsertMedium("blkmv", Path.Combine(_files.Path, "gone.img")));
            Assert.Equal(second, disk.MediaPath);

            vm.Start();
            vm.Stop();
            Assert.True(disk.WorkerHasEnded, "the VM's stop ends the block worker");
            Eventually.True(() => ThreadsNamed("blkmv-io") == 0, "the OS thread blkmv-io to be gone (the managed join returns while the native thread exits)");
            vm.EjectMedium("blkmv"); // runs on this thread once the worker has ended
            Assert.Null(disk.MediaPath);
        }
        finally
        {
            vm.Dispose();
        }
        Eventually.True(() => ThreadsNamed("blkmv-io") == 0, "the OS thread blkmv-io to be gone (the managed join returns while the native thread exits)");
    }

    private static int ThreadsNamed(string name) =>
        Directory.EnumerateDirectories("/proc/self/task").Count(task =>
        {
            try
            {
                return File.ReadAllText(System.IO.Path.Combine(task, "comm")).TrimEnd('\n') == name;
            }
            catch (IOException)
            {
                return false; // the task ended while we looked
            }
        });

    public void Dispose() => _files.Dispose();
}
