using KataSharp.Linux;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>
/// virtio-net on vhost-net through a fake driver and a fake vhost (<see cref="FakeVhostNet"/>, which records the
/// ioctls): what is handed over at DRIVER_OK and in what order, calls turned into interrupts, reset and dispose taking
/// everything back, and activations that fail (an ioctl refused, a ring outside RAM) parking the device.
/// </summary>
public sealed class VhostNetDeviceTests
{
    /// <summary>What Linux 6.x accepts of the offer.</summary>
    private const ulong Linux = VirtioFeatures.Common | NetFeatures.Offered;

    private static readonly string[] HandOverSequence =
    [
        "SetFeatures", "SetMemoryTable",
        "SetVringNum", "SetVringBase", "SetVringAddresses", "SetVringKick", "SetVringCall",
        "SetVringNum", "SetVringBase", "SetVringAddresses", "SetVringKick", "SetVringCall",
        "SetBackend", "SetBackend",
    ];

    private static readonly string[] TakeBackSequence =
    [
        "SetBackend", "SetBackend",
        "GetVringBase", "SetVringKick", "SetVringCall",
        "GetVringBase", "SetVringKick", "SetVringCall",
    ];

    [Fact]
    public void Construction_sets_the_owner_and_reads_the_features_and_nothing_else()
    {
        using var rig = new Rig();
        Assert.Equal(["SetOwner", "GetFeatures"], rig.Vhost.CallNames);
        Assert.Contains(rig.Log, l => l.Contains("[virtio net-test] data path: vhost-net", StringComparison.Ordinal));
    }

    [Fact]
    public void The_offer_is_vhosts_ring_features_plus_the_taps_net_offloads()
    {
        using var rig = new Rig(new FakeVhostNet { Features = FakeVhostNet.KernelFeatures & ~VirtioFeatures.RingEventIdx }, mtu: 1400);
        ulong offered = rig.Driver.ReadDeviceFeatures();
        Assert.Equal(0UL, offered & VirtioFeatures.RingEventIdx);
        Assert.Equal(VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | NetFeatures.Offered | NetFeatures.Mtu, offered);
    }

    [Fact]
    public void A_vhost_without_version_1_is_refused_at_construction()
    {
        var vhost = new FakeVhostNet { Features = NetFeatures.MrgRxbuf };
        using var loop = new KataSharp.Vmm.Events.EventLoop("vhost-test", _ => { });
        var backend = new FakeNetBackend();
        var e = Assert.Throws<NetDeviceException>(() => new VhostNetDevice("net-test", new NetOptions(FakeNetGuest.GuestMac), backend, vhost, loop, _ => { }));
        Assert.Contains("VIRTIO_F_VERSION_1", e.Message);
        backend.Dispose();
    }

    [Fact]
    public void Driver_ok_hands_both_queues_to_vhost_in_order()
    {
        using var rig = new Rig();
        rig.Vhost.ClearCalls();
        rig.Driver.Initialize(Linux, queueSize: 64);
        Assert.Equal(HandOverSequence, rig.Vhost.CallNames);
        Assert.Equal("SetVringNum(0, 64)", rig.Vhost.Calls[2]);
        Assert.Equal("SetVringBase(0, 0)", rig.Vhost.Calls[3]);
        Assert.True(rig.Device.IsHandedOver);
        Assert.False(rig.Device.IsFailed);
        // Only ring features reach vhost; the net offloads went to the tap.
        Assert.Equal(VirtioFeatures.Common | NetFeatures.MrgRxbuf, rig.Vhost.AckedFeatures);
        Assert.Equal(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6, rig.Backend.OffloadHistory.Last());
        int tap = rig.Backend.ReadinessDescriptor.Value;
        Assert.Equal([tap, tap], rig.Vhost.Backends);
        Assert.Single(rig.Log, l => l.Contains("vhost-net owns the queues", StringComparison.Ordinal));
    }

    [Fact]
    public void The_memory_table_is_guest_ram_and_the_rings_are_translated_into_our_mapping()
    {
        using var rig = new Rig();
        rig.Driver.Initialize(Linux);
        GuestMemory memory = rig.Driver.Memory;
        Assert.Equal(2, memory.Regions.Count);
        Assert.Equal(memory.Regions.Select(r => new VhostMemoryRegion(r.Start.Value, r.Size, r.HostAddress)), rig.Vhost.MemoryTable);
        for (int q = 0; q < 2; q++)
        {
            FakeQueue queue = rig.Driver.Queues[q];
            VhostRingAddresses rings = rig.Vhost.Rings[q] ?? throw new InvalidOperationException($"queue {q} has no addresses");
            Assert.Equal(HostAddressOf(memory, queue.Desc), rings.Descriptors);
            Assert.Equal(HostAddressOf(memory, queue.Avail), rings.Avail);
            Assert.Equal(HostAddressOf(memory, queue.Used), rings.Used);
        }
    }

    [Fact]
    public void Rings_in_the_high_region_or_outside_ram_translate_or_do_not()
    {
        using GuestMemory memory = GuestMemory.Create([(new GuestAddress(0), FakeDriver.LowRamSize), (new GuestAddress(FakeDriver.HighRamStart), FakeDriver.HighRamSize)]);
        var queue = new KataSharp.Vmm.Virtio.Queue.VirtQueue(256) { Size = 16 };
        GuestMemoryRegion high = memory.Regions[1];
        queue.DescriptorTable = new GuestAddress(high.Start.Value + 0x1000);
        queue.AvailRing = new GuestAddress(high.Start.Value + 0x2000);
        queue.UsedRing = new GuestAddress(high.Start.Value + 0x3000);
        Assert.Equal(new VhostRingAddresses(high.HostAddress + 0x1000, high.HostAddress + 0x2000, high.HostAddress + 0x3000),
            VhostNetDevice.RingAddresses(memory, queue));
        // A used ring that runs off the end of the low region into the hole.
        queue.UsedRing = new GuestAddress(FakeDriver.LowRamSize - 8);
        Assert.Null(VhostNetDevice.RingAddresses(memory, queue));
        queue.UsedRing = new GuestAddress(FakeDriver.HighRamStart + FakeDriver.HighRamSize);
        Assert.Null(VhostNetDevice.RingAddresses(memory, queue));
    }

    [Fact]
    public void The_kick_is_the_queues_notify_eventfd_and_the_loop_leaves_it_to_vhost()
    {
        using var rig = new Rig();
        rig.Driver.Initialize(Linux);
        MmioTransport transport = rig.Driver.Transport;
        Assert.Equal([transport.QueueEvents[0].Descriptor.Value, transport.QueueEvents[1].Descriptor.Value], rig.Vhost.Kicks);
        rig.Driver.Notify(1);
        rig.Driver.Notify(1);
        // A loop turn would drain it (as it does for the userspace device); give it the chance to.
        rig.Driver.Loop.Invoke(() => { });
        Thread.Sleep(50);
        rig.Driver.Loop.Invoke(() => { });
        Assert.Equal(2UL, transport.QueueEvents[1].Drain());
    }

    [Fact]
    public void A_call_sets_the_used_buffer_bit_and_raises_the_interrupt()
    {
        using var rig = new Rig();
        rig.Driver.Initialize(Linux);
        int before = rig.Driver.Interrupt.Count;
        rig.Vhost.SignalCall(0);
        Eventually.True(() => rig.Driver.Interrupt.Count == before + 1, "an interrupt for the RX call");
        Assert.Equal(InterruptStatus.UsedBuffer, rig.Driver.AcknowledgeInterrupt());
        rig.Vhost.SignalCall(1);
        Eventually.True(() => rig.Driver.Interrupt.Count == before + 2, "an interrupt for the TX call");
        Assert.Equal(InterruptStatus.UsedBuffer, rig.Driver.AcknowledgeInterrupt());
        Assert.Equal((1L, 1L), (rig.Device.RxCalls, rig.Device.TxCalls));
        Assert.Empty(rig.Driver.LoopErrors);
    }

    [Fact]
    public void Reset_takes_the_queues_back_backends_first_and_clears_the_offloads()
    {
        using var rig = new Rig();
        rig.Driver.Initialize(Linux);
        int[] calls = rig.Vhost.CallFds.ToArray();
        rig.Vhost.ClearCalls();
        rig.Driver.Write(MmioRegister.Status, 0);
        Assert.Equal(TakeBackSequence, rig.Vhost.CallNames);
        Assert.Equal([-1, -1], rig.Vhost.Backends);
        Assert.Equal([-1, -1], rig.Vhost.Kicks);
        Assert.Equal([-1, -1], rig.Vhost.CallFds);
        Assert.Equal(TunOffloads.None, rig.Backend.OffloadHistory.Last());
        Assert.False(rig.Device.IsHandedOver);
        // A call that was already on its way when the guest reset must not interrupt the new driver.
        int before = rig.Driver.Interrupt.Count;
        using (var stale = new KataSharp.Linux.Files.FileDescriptor(calls[0], ownsHandle: false))
        {
            stale.WriteAll(BitConverter.GetBytes(1UL));
        }
        rig.Driver.Loop.Invoke(() => { });
        rig.Driver.Loop.Invoke(() => { });
        Assert.Equal(before, rig.Driver.Interrupt.Count);
        Assert.Equal(0u, rig.Driver.Read(MmioRegister.InterruptStatus));
    }

    [Fact]
    public void A_second_negotiation_after_reset_hands_over_again()
    {
        using var rig = new Rig();
        rig.Driver.Initialize(Linux);
        rig.Driver.Initialize(VirtioFeatures.Version1 | NetFeatures.Mac, queueSize: 32);
        Assert.Equal(2, rig.Device.HandOvers);
        Assert.Equal(VirtioFeatures.Version1, rig.Vhost.AckedFeatures);
        Assert.Equal(TunOffloads.None, rig.Backend.OffloadHistory.Last());
        Assert.Contains("SetVringNum(1, 32)", rig.Vhost.Calls);
        Assert.True(rig.Device.IsHandedOver);
    }

    [Theory]
    [InlineData("SetFeatures")]
    [InlineData("SetMemoryTable")]
    [InlineData("SetVringAddresses")]
    [InlineData("SetVringCall")]
    [InlineData("SetBackend")]
    [InlineData("SetBackend(1")] // queue 0 already bound to the tap
    public void A_refused_ioctl_parks_the_device_unbinds_what_was_bound_and_logs_once(string failing)
    {
        using var rig = new Rig();
        rig.Vhost.FailOn = failing;
        rig.Driver.Negotiate(Linux);
        rig.Driver.SetUpQueues();
        rig.Driver.DriverOk();
        Assert.True(rig.Device.IsFailed);
        Assert.NotEqual(0u, (uint)(rig.Driver.Status & DeviceStatus.DeviceNeedsReset));
        Assert.False(rig.Device.IsHandedOver);
        rig.Vhost.FailOn = null;
        // Whatever was bound before the failure is unbound: vhost holds none of our descriptors.
        Assert.Equal([-1, -1], rig.Vhost.Backends);
        Assert.Equal([-1, -1], rig.Vhost.Kicks);
        Assert.Equal([-1, -1], rig.Vhost.CallFds);
        Assert.Equal(TunOffloads.None, rig.Backend.OffloadHistory.Last());
        Assert.Single(rig.Log, l => l.Contains("device parked", StringComparison.Ordinal) && l.Contains("EINVAL", StringComparison.Ordinal));
        // A call now interrupts nobody; a reset and a clean negotiation bring the device back.
        rig.Vhost.FailOn = failing;
        rig.Driver.Negotiate(Linux);
        rig.Driver.SetUpQueues();
        rig.Driver.DriverOk();
        Assert.True(rig.Device.IsFailed);
        Assert.Single(rig.Log, l => l.Contains("device parked", StringComparison.Ordinal));
        rig.Vhost.FailOn = null;
        rig.Driver.Initialize(Linux);
        Assert.True(rig.Device.IsHandedOver);
        Assert.False(rig.Device.IsFailed);
        Assert.Equal(0, rig.Driver.Transport.InternalErrors);
    }

    [Fact]
    public void A_ring_outside_ram_is_refused_before_vhost_hears_of_it()
    {
        using var rig = new Rig();
        rig.Driver.Negotiate(Linux);
        rig.Driver.SetUpQueues();
        rig.Driver.Write(MmioRegister.QueueSel, 1);
        rig.Driver.WriteAddress(MmioRegister.QueueDescLow, new GuestAddress(FakeDriver.HighRamStart + FakeDriver.HighRamSize + 0x1000));
        rig.Vhost.ClearCalls();
        rig.Driver.DriverOk();
        Assert.NotEqual(0u, (uint)(rig.Driver.Status & DeviceStatus.DeviceNeedsReset));
        Assert.Empty(rig.Vhost.Calls);
        Assert.False(rig.Device.IsHandedOver);
    }

    [Fact]
    public void A_teardown_vhost_refuses_closes_it_and_later_activations_fail_cleanly()
    {
        using var rig = new Rig();
        rig.Driver.Initialize(Linux);
        rig.Vhost.FailOn = "SetBackend";
        rig.Vhost.FailUnbinds = true;
        rig.Driver.Write(MmioRegister.Status, 0);
        Assert.True(rig.Vhost.IsDisposed);
        Assert.Contains(rig.Log, l => l.Contains("refused to give the queues back", StringComparison.Ordinal));
        rig.Driver.Negotiate(Linux);
        rig.Driver.SetUpQueues();
        rig.Driver.DriverOk();
        Assert.True(rig.Device.IsFailed);
        Assert.Contains("closed after an earlier teardown failure", rig.Device.GuestErrors.Last);
    }

    [Fact]
    public void Dispose_takes_the_queues_back_and_closes_vhost_the_tap_and_the_call_eventfds()
    {
        var rig = new Rig();
        rig.Driver.Initialize(Linux);
        rig.Vhost.ClearCalls();
        rig.Dispose();
        Assert.Equal([.. TakeBackSequence, "Dispose"], rig.Vhost.CallNames);
        Assert.True(rig.Backend.IsDisposed);
        Assert.All(rig.Device.CallEvents, call => Assert.True(call.Descriptor.IsClosed));
        Assert.Contains(rig.Log, l => l.Contains("vhost counters: hand_overs=1", StringComparison.Ordinal));
    }

    private static ulong HostAddressOf(GuestMemory memory, GuestAddress address)
    {
        GuestMemoryRegion region = memory.Regions.Single(r => r.Contains(address, 1));
        return region.HostAddress + (address.Value - region.Start.Value);
    }

    private sealed class Rig : IDisposable
    {
        private bool _disposed;

        public Rig(FakeVhostNet? vhost = null, ushort? mtu = null)
        {
            Vhost = vhost ?? new FakeVhostNet();
            Driver = new FakeDriver(loop => new VhostNetDevice("net-test", new NetOptions(FakeNetGuest.GuestMac, mtu), Backend, Vhost, loop, line =>
            {
                lock (Log)
                {
                    Log.Add(line);
                }
            }));
        }

        public FakeVhostNet Vhost { get; }

        public FakeNetBackend Backend { get; } = new();

        public FakeDriver Driver { get; }

        public List<string> Log { get; } = [];

        public VhostNetDevice Device => (VhostNetDevice)Driver.Device;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Driver.Dispose();
            }
        }
    }
}
