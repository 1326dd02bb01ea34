using KataSharp.Vmm.Arch;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.DeviceManager;

public sealed class VirtioDeviceManagerTests : IDisposable
{
    private readonly FakeDeviceHost _host = new();
    private readonly TempFiles _files = new();

    public void Dispose()
    {
        _host.Dispose();
        _files.Dispose();
    }

    [Fact]
    public void Slots_are_consecutive_windows_with_their_own_irqs_until_the_pins_run_out()
    {
        Assert.Equal(new MmioSlot(0, 0xD000_0000, 0x1000, 5), MmioSlotAllocator.SlotAt(0));
        Assert.Equal(new MmioSlot(1, 0xD000_1000, 0x1000, 6), MmioSlotAllocator.SlotAt(1));
        Assert.Equal(23u, MmioSlotAllocator.SlotAt(18).Irq);
        Assert.Equal(5u, MmioSlotAllocator.SlotAt(19).Irq); // 20th device shares with the first
        Assert.Equal(0xD001_3000UL, MmioSlotAllocator.SlotAt(19).BaseAddress);
        Assert.Equal("virtio_mmio.device=4K@0xd0000000:5", MmioSlotAllocator.SlotAt(0).KernelCmdlineEntry);
        var allocator = new MmioSlotAllocator();
        for (int i = 0; i < X86Layout.VirtioMmioMaxSlots; i++)
        {
            allocator.Allocate();
        }
        Assert.Throws<InvalidOperationException>(allocator.Allocate);
    }

    [Fact]
    public void Attaching_wires_bus_window_ioeventfds_per_queue_and_the_kernel_cmdline()
    {
        using var manager = new VirtioDeviceManager(_host);
        string disk = _files.CreateFile("d.img", 4096, _ => 1);
        AttachedVirtioDevice blk = manager.Attach(new BlockDeviceSpec("blk0", disk, ReadOnly: true, Serial: "root"));
        AttachedVirtioDevice rng = manager.Attach(new RngDeviceSpec());
        AttachedVirtioDevice vsock = manager.Attach(new VsockDeviceSpec(3, _files.PathOf("v.sock")));

        Assert.Equal([0xD000_0000UL, 0xD000_1000UL, 0xD000_2000UL], _host.Mmio.Select(m => m.Base));
        Assert.All(_host.Mmio, m => Assert.Equal(0x1000UL, m.Size));
        Assert.Same(blk.Transport, _host.Mmio[0].Device);
        Assert.Equal(
            ["virtio_mmio.device=4K@0xd0000000:5", "virtio_mmio.device=4K@0xd0001000:6", "virtio_mmio.device=4K@0xd0002000:7"],
            _host.Cmdline);
        Assert.Equal(string.Join(' ', _host.Cmdline), manager.KernelCmdline);

        // vsock has three queues: three ioeventfds at its QueueNotify, datamatch = queue index.
        var vsockFds = _host.IoEventFds.Where(f => f.Address == 0xD000_2050).ToList();
        Assert.Equal([0UL, 1UL, 2UL], vsockFds.Select(f => f.DataMatch!.Value));
        Assert.All(_host.IoEventFds, f => Assert.Equal(4, f.Length));
        Assert.Equal(5, _host.IoEventFds.Count);
        Assert.Same(vsock.Transport.QueueEvents[1], vsockFds[1].Fd);

        Assert.Same(blk.Device, manager.Block("blk0"));
        Assert.Same(vsock.Device, manager.Vsock);
        Assert.Contains("blk0", Assert.Throws<KeyNotFoundException>(() => manager.Find("nope")).Message);
        Assert.Throws<ArgumentException>(() => manager.Attach(new RngDeviceSpec()));
        Assert.IsType<RngDevice>(rng.Device);
    }

    [Fact]
    public void A_kick_through_the_ioeventfd_reaches_the_device_and_it_interrupts_on_its_line()
    {
        using var manager = new VirtioDeviceManager(_host);
        AttachedVirtioDevice rng = manager.Attach(new RngDeviceSpec());
        // Drive it with register writes, as the guest would through the MMIO window.
        using var driver = new FakeDriver(rng.Transport, _host.Memory, _host.EventLoop);
        driver.Initialize();
        driver.Queues[0].AddChain((driver.Allocate(16).Value, 16, true));

        _host.IoEventFds.Single().Fd.Signal(); // what KVM does when the guest writes QueueNotify

        Eventually.True(() => driver.Queues[0].UsedIdx == 1, "the request to complete");
        Eventually.True(() => _host.Lines[5].Count == 1, "an interrupt on IRQ 5");
        Assert.Equal(InterruptStatus.UsedBuffer, rng.Transport.PendingInterrupts);
        Assert.Empty(_host.Errors);
    }

    [Fact]
    public void Disposing_removes_the_ioeventfds_and_closes_devices()
    {
        var manager = new VirtioDeviceManager(_host);
        manager.Attach(new RngDeviceSpec());
        manager.Attach(new BlockDeviceSpec("blk0", null, ReadOnly: false));
        Assert.Equal(2, _host.IoEventFds.Count);
        manager.Dispose();
        Assert.Empty(_host.IoEventFds);
        Assert.Empty(manager.Devices);
    }

    [Fact]
    public void A_bad_disk_path_fails_the_attach_with_the_path_in_the_message()
    {
        using var manager = new VirtioDeviceManager(_host);
        var error = Assert.Throws<BlockDeviceException>(() => manager.Attach(new BlockDeviceSpec("blk0", _files.PathOf("none.img"), true)));
        Assert.Contains("none.img", error.Message);
        Assert.Empty(_host.Mmio);
        Assert.Empty(_host.Cmdline);
    }
}
