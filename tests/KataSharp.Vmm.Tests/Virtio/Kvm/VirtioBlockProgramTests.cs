using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Kvm;

/// <summary>
/// Guest code on the real /dev/kvm drives virtio-blk through the production path: MMIO exits to the
/// transport, QueueNotify through a KVM ioeventfd to the VM's event loop, which kicks the device's worker thread. Hostile variants
/// break one rule each; afterwards the same VM must still serve a correct read.
/// </summary>
public sealed class VirtioBlockProgramTests : IDisposable
{
    private readonly TempDirectory _files = new();
    private readonly byte[] _disk;
    private readonly string _diskPath;

    public VirtioBlockProgramTests()
    {
        _disk = new byte[1 << 20];
        for (int i = 0; i < _disk.Length; i++)
        {
            _disk[i] = (byte)(i * 13 + (i >> 9));
        }
        _diskPath = _files.File("disk.img", _disk);
    }

    public void Dispose() => _files.Dispose();

    private ulong ExpectedData => BitConverter.ToUInt64(_disk, (int)VirtioBlockDriverProgram.Sector * 512);

    private const uint Live = (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk | DeviceStatus.DriverOk);

    /// <summary>Boots the driver program with one read-only disk, waits for it to exit, returns its reports and the disk.</summary>
    private (IReadOnlyList<ulong> Reports, BlockDevice Disk, string Cmdline) Run(Hostility hostility)
    {
        VirtioDeviceManager? devices = null;
        using ProgramRun run = ProgramRun.Start(a => VirtioBlockDriverProgram.Emit(a, hostility), attach: vm =>
        {
            devices = new VirtioDeviceManager(vm);
            devices.Attach(new BlockDeviceSpec("blk0", _diskPath, ReadOnly: true, Serial: "kvm-test"));
        });
        using (devices)
        {
            VmExit exit = run.WaitForExit();
            Assert.True(exit.Reason == VmExitReason.HostStop, $"{exit.Reason}: {exit.Message}");
            Assert.Equal([0u], run.ExitCodes);
            return (run.Reports, (BlockDevice)devices!.Devices[0].Device, run.Machine.KernelCmdline);
        }
    }

    [KvmFact]
    public void A_guest_driver_negotiates_sets_up_a_queue_and_reads_a_sector()
    {
        var (reports, disk, cmdline) = Run(Hostility.None);
        Assert.Equal([Live, 513UL, 0UL, ExpectedData], reports);
        Assert.Equal(1, disk.Metrics.Reads);
        Assert.Contains("virtio_mmio.device=4K@0xd0000000:5", cmdline);
    }

    [KvmFact]
    public void A_descriptor_beyond_ram_is_dropped_and_the_next_read_works() => HostileThenHealthy(Hostility.DescriptorBeyondRam);

    [KvmFact]
    public void A_length_that_wraps_is_dropped_and_the_next_read_works() => HostileThenHealthy(Hostility.WrappingLength);

    [KvmFact]
    public void A_looping_chain_is_dropped_and_the_next_read_works() => HostileThenHealthy(Hostility.LoopingChain);

    [KvmFact]
    public void A_huge_indirect_table_is_dropped_and_the_next_read_works() => HostileThenHealthy(Hostility.HugeIndirectTable);

    private void HostileThenHealthy(Hostility hostility)
    {
        var (reports, disk, _) = Run(hostility);
        Assert.Equal(
            [Live, 0UL, VirtioBlockDriverProgram.StatusPreset, VirtioBlockDriverProgram.DataPreset, 513UL, 0UL, ExpectedData],
            reports);
        Assert.False(disk.IsFailed);
        Assert.True(disk.GuestErrors.Count >= 1, "the dropped chain was not reported");
    }

    [KvmFact]
    public void A_queue_size_that_is_not_a_power_of_two_needs_a_reset_and_then_works()
    {
        var (reports, disk, _) = Run(Hostility.QueueSizeNotPowerOfTwo);
        Assert.Equal([Live | (uint)DeviceStatus.DeviceNeedsReset, Live, 513UL, 0UL, ExpectedData], reports);
        Assert.Contains("power of two", disk.GuestErrors.Last ?? "");
    }
}
