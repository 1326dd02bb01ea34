using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio;

public sealed class MmioTransportTests
{
    private const DeviceStatus A = DeviceStatus.Acknowledge;
    private const DeviceStatus AD = A | DeviceStatus.Driver;
    private const DeviceStatus ADF = AD | DeviceStatus.FeaturesOk;
    private const DeviceStatus ADFO = ADF | DeviceStatus.DriverOk;

    private static FakeDriver NewDriver() => new(() => new RecordingDevice());

    [Fact]
    public void Identity_registers_describe_a_modern_device()
    {
        using FakeDriver driver = NewDriver();
        Assert.Equal(0x74726976u, driver.Read(MmioRegister.MagicValue));
        Assert.Equal(2u, driver.Read(MmioRegister.Version));
        Assert.Equal((uint)VirtioDeviceType.Console, driver.Read(MmioRegister.DeviceId));
        Assert.Equal(MmioRegister.KataSharpVendor, driver.Read(MmioRegister.VendorId));
    }

    [Fact]
    public void Device_features_are_paged_by_the_select_register()
    {
        using FakeDriver driver = NewDriver();
        driver.Write(MmioRegister.DeviceFeaturesSel, 0);
        Assert.Equal(unchecked((uint)(VirtioFeatures.Common | RecordingDevice.DeviceSpecificFeature)), driver.Read(MmioRegister.DeviceFeatures));
        driver.Write(MmioRegister.DeviceFeaturesSel, 1);
        Assert.Equal(1u, driver.Read(MmioRegister.DeviceFeatures)); // VERSION_1 is bit 32
        driver.Write(MmioRegister.DeviceFeaturesSel, 2);
        Assert.Equal(0u, driver.Read(MmioRegister.DeviceFeatures));
    }

    [Fact]
    public void The_linux_probe_sequence_activates_the_device_once()
    {
        using FakeDriver driver = NewDriver().Initialize();
        var device = (RecordingDevice)driver.Device;
        Assert.Equal(ADFO, driver.Status);
        Assert.Equal(1, device.Activations);
        Assert.Equal(VirtioFeatures.Common | RecordingDevice.DeviceSpecificFeature, device.AckedFeatures);

        driver.DriverOk(); // same value again: not a transition
        Assert.Equal(1, device.Activations);
        Assert.Equal(ADFO, driver.Status);
    }

    public static TheoryData<int, uint> EveryStatusEdge()
    {
        var data = new TheoryData<int, uint>();
        uint[] bits = [1, 2, 4, 8, 128];
        for (int from = 0; from < 5; from++)
        {
            for (int mask = 0; mask < 32; mask++)
            {
                uint written = 0;
                for (int b = 0; b < bits.Length; b++)
                {
                    if ((mask & (1 << b)) != 0)
                    {
                        written |= bits[b];
                    }
                }
                data.Add(from, written);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryStatusEdge))]
    public void Every_status_write_from_every_handshake_state_follows_the_whitelist(int stage, uint written)
    {
        DeviceStatus[] stages = [DeviceStatus.Reset, A, AD, ADF, ADFO];
        using FakeDriver driver = NewDriver();
        var device = (RecordingDevice)driver.Device;
        DriveTo(driver, stages[stage]);
        DeviceStatus before = driver.Status;
        Assert.Equal(stages[stage], before);

        driver.Write(MmioRegister.Status, written);

        DeviceStatus expected = ExpectedAfter(before, (DeviceStatus)written);
        Assert.Equal(expected, driver.Status);
        Assert.Equal(stages[stage] == ADFO || expected == ADFO ? 1 : 0, device.Activations);
    }

    [Fact]
    public void Failed_is_sticky_until_reset()
    {
        using FakeDriver driver = NewDriver();
        DriveTo(driver, AD);
        driver.Write(MmioRegister.Status, (uint)(AD | DeviceStatus.Failed));
        Assert.Equal(AD | DeviceStatus.Failed, driver.Status);
        driver.Write(MmioRegister.Status, (uint)(ADF | DeviceStatus.Failed));
        Assert.Equal(AD | DeviceStatus.Failed, driver.Status);
        driver.Write(MmioRegister.Status, 0);
        Assert.Equal(DeviceStatus.Reset, driver.Status);
    }

    [Fact]
    public void Features_ok_is_refused_without_version_1()
    {
        using FakeDriver driver = NewDriver();
        Assert.False(driver.Negotiate(VirtioFeatures.RingEventIdx));
        Assert.Equal(AD, driver.Status);
        Assert.Contains("VERSION_1", driver.Device.GuestErrors.Last);
    }

    [Fact]
    public void Features_ok_is_refused_for_unoffered_features()
    {
        using FakeDriver driver = NewDriver();
        Assert.False(driver.Negotiate(VirtioFeatures.Version1 | (1UL << 40)));
        Assert.Equal(AD, driver.Status);
        Assert.Contains("unoffered", driver.Device.GuestErrors.Last);
    }

    [Fact]
    public void Driver_features_are_only_writable_in_the_driver_state()
    {
        using FakeDriver driver = NewDriver();
        driver.Initialize(VirtioFeatures.Version1);
        driver.WriteDriverFeatures(VirtioFeatures.Common); // after DRIVER_OK: ignored
        Assert.Equal(VirtioFeatures.Version1, driver.Device.AckedFeatures);
    }

    [Fact]
    public void Queue_fields_are_writable_only_between_features_ok_and_driver_ok()
    {
        using FakeDriver driver = NewDriver();
        DriveTo(driver, AD);
        driver.Write(MmioRegister.QueueSel, 0);
        driver.Write(MmioRegister.QueueNum, 8);
        Assert.Equal(0, driver.Device.Queues[0].Size);

        driver.Write(MmioRegister.Status, (uint)ADF);
        driver.Write(MmioRegister.QueueNum, 4);
        Assert.Equal(4, driver.Device.Queues[0].Size);

        driver.SetUpQueues(8);
        driver.DriverOk();
        Assert.True(driver.Device.IsActivated);
        driver.Write(MmioRegister.QueueSel, 0);
        driver.Write(MmioRegister.QueueNum, 4);
        driver.Write(MmioRegister.QueueReady, 0);
        Assert.Equal(8, driver.Device.Queues[0].Size);
        Assert.True(driver.Device.Queues[0].IsReady);
    }

    [Fact]
    public void A_queue_select_beyond_the_device_reads_as_absent_and_ignores_writes()
    {
        using FakeDriver driver = NewDriver();
        DriveTo(driver, ADF);
        driver.Write(MmioRegister.QueueSel, 7);
        Assert.Equal(0u, driver.Read(MmioRegister.QueueNumMax));
        driver.Write(MmioRegister.QueueNum, 8);
        driver.Write(MmioRegister.QueueReady, 1);
        Assert.Equal(0u, driver.Read(MmioRegister.QueueReady));
        driver.Write(MmioRegister.QueueSel, 0);
        Assert.Equal(256u, driver.Read(MmioRegister.QueueNumMax));
    }

    [Fact]
    public void Queue_addresses_are_assembled_from_low_and_high_halves()
    {
        using FakeDriver driver = NewDriver();
        DriveTo(driver, ADF);
        driver.Write(MmioRegister.QueueSel, 1);
        driver.Write(MmioRegister.QueueDescLow, 0x1234_5000);
        driver.Write(MmioRegister.QueueDescHigh, 0x1);
        driver.Write(MmioRegister.QueueDriverLow, 0x2000);
        driver.Write(MmioRegister.QueueDeviceHigh, 0x2);
        driver.Write(MmioRegister.QueueDeviceLow, 0x3000);
        Assert.Equal(0x1_1234_5000UL, driver.Device.Queues[1].DescriptorTable.Value);
        Assert.Equal(0x2000UL, driver.Device.Queues[1].AvailRing.Value);
        Assert.Equal(0x2_0000_3000UL, driver.Device.Queues[1].UsedRing.Value);
        Assert.Equal(0x1u, driver.Read(MmioRegister.QueueDescHigh));
    }

    [Fact]
    public void Reset_returns_every_queue_and_the_device_to_the_initial_state()
    {
        using FakeDriver driver = NewDriver().Initialize();
        var device = (RecordingDevice)driver.Device;
        driver.Queues[0].AddChain((driver.Allocate(64).Value, 64, true));
        driver.Notify(0);
        driver.WaitForUsed(0, 1);
        Eventually.True(() => driver.Transport.PendingInterrupts != InterruptStatus.None, "used-buffer interrupt");
        int resets = device.Resets;

        driver.Write(MmioRegister.Status, 0);

        Assert.Equal(DeviceStatus.Reset, driver.Status);
        Assert.Equal(resets + 1, device.Resets);
        Assert.False(device.IsActivated);
        Assert.Equal(0UL, device.AckedFeatures);
        Assert.Equal(InterruptStatus.None, driver.Transport.PendingInterrupts);
        for (uint q = 0; q < 2; q++)
        {
            driver.Write(MmioRegister.QueueSel, q);
            Assert.Equal(0u, driver.Read(MmioRegister.QueueReady));
            Assert.Equal(0u, driver.Read(MmioRegister.QueueNum));
            Assert.Equal(0u, driver.Read(MmioRegister.QueueDescLow));
        }

        // And the device comes back fully working with fresh rings.
        driver.Initialize();
        driver.Queues[0].AddChain((driver.Allocate(8).Value, 8, true));
        driver.Notify(0);
        driver.WaitForUsed(0, 1);
        Assert.Equal(2, device.Activations);
    }

    [Fact]
    public void Config_space_reads_at_any_width_and_zero_beyond_its_end()
    {
        using FakeDriver driver = NewDriver();
        Assert.Equal(new byte[] { 3, 4 }, driver.ReadConfig(2, 2));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, driver.ReadConfig(0, 8));
        Assert.Equal(new byte[] { 8, 0, 0, 0 }, driver.ReadConfig(7, 4));
        Assert.Equal(new byte[4], driver.ReadConfig(0x400, 4));
    }

    [Fact]
    public void A_config_change_bumps_the_generation_and_raises_a_config_interrupt()
    {
        using FakeDriver driver = NewDriver().Initialize();
        var device = (RecordingDevice)driver.Device;
        uint generation = driver.Read(MmioRegister.ConfigGeneration);
        int interrupts = driver.Interrupt.Count;

        device.ChangeConfig(42);

        Assert.Equal(generation + 1, driver.Read(MmioRegister.ConfigGeneration));
        Assert.Equal(42, driver.ReadConfig(0, 1)[0]);
        Assert.Equal(interrupts + 1, driver.Interrupt.Count);
        Assert.Equal(InterruptStatus.ConfigChange, driver.AcknowledgeInterrupt());
        Assert.Equal(InterruptStatus.None, driver.Transport.PendingInterrupts);
    }

    [Fact]
    public void Config_writes_to_a_read_only_config_space_change_nothing()
    {
        using FakeDriver driver = NewDriver();
        driver.Transport.Write(MmioRegister.Config, new byte[] { 9, 9 });
        Assert.Equal(new byte[] { 1, 2 }, driver.ReadConfig(0, 2));
        Assert.Equal(1, driver.Device.GuestErrors.Count);
    }

    [Fact]
    public void Devices_sharing_one_interrupt_line_are_told_apart_by_interrupt_status()
    {
        var line = new CountingInterruptLine(9);
        using var loop = new KataSharp.Vmm.Events.EventLoop("shared-irq", _ => { });
        using FakeDriver first = new FakeDriver(() => new RecordingDevice(), line, loop).Initialize();
        using FakeDriver second = new FakeDriver(() => new RecordingDevice(), line, loop).Initialize();

        second.Queues[1].AddChain((second.Allocate(16).Value, 16, true));
        second.Notify(1);
        second.WaitForUsed(1, 1);
        Eventually.True(() => line.Count == 1, "one interrupt on the shared line");
        Assert.Equal(InterruptStatus.None, first.Transport.PendingInterrupts);
        Assert.Equal(InterruptStatus.UsedBuffer, second.AcknowledgeInterrupt());

        ((RecordingDevice)first.Device).ChangeConfig(7);
        Assert.Equal(2, line.Count);
        Assert.Equal(InterruptStatus.ConfigChange, first.AcknowledgeInterrupt());
        Assert.Equal(InterruptStatus.None, second.Transport.PendingInterrupts);
    }

    [Fact]
    public void Interrupt_ack_clears_only_the_acknowledged_bits()
    {
        using FakeDriver driver = NewDriver().Initialize();
        ((RecordingDevice)driver.Device).ChangeConfig(1);
        driver.Queues[0].AddChain((driver.Allocate(16).Value, 16, true));
        driver.Notify(0);
        Eventually.True(() => driver.Transport.PendingInterrupts == (InterruptStatus.UsedBuffer | InterruptStatus.ConfigChange), "both interrupt reasons pending");
        driver.Write(MmioRegister.InterruptAck, (uint)InterruptStatus.UsedBuffer);
        Assert.Equal(InterruptStatus.ConfigChange, (InterruptStatus)driver.Read(MmioRegister.InterruptStatus));
    }

    [Fact]
    public void Shared_memory_regions_answer_none()
    {
        using FakeDriver driver = NewDriver();
        driver.Write(MmioRegister.ShmSel, 0);
        Assert.Equal(uint.MaxValue, driver.Read(MmioRegister.ShmLenLow));
        Assert.Equal(uint.MaxValue, driver.Read(MmioRegister.ShmLenHigh));
    }

    [Fact]
    public void Register_accesses_that_are_not_32_bit_aligned_are_ignored()
    {
        using FakeDriver driver = NewDriver();
        var two = new byte[2];
        driver.Transport.Read(MmioRegister.MagicValue, two);
        Assert.Equal(new byte[2], two);
        driver.Transport.Write(MmioRegister.Status, new byte[] { 1, 0 });
        driver.Transport.Write(MmioRegister.Status + 1, new byte[] { 1, 0, 0, 0 });
        Assert.Equal(DeviceStatus.Reset, driver.Status);
        Assert.Equal(3, driver.Device.GuestErrors.Count);
    }

    [Fact]
    public void Driver_ok_with_a_queue_size_that_is_not_a_power_of_two_sets_needs_reset()
    {
        using FakeDriver driver = NewDriver();
        Assert.True(driver.Negotiate());
        driver.SetUpQueues(16);
        driver.Write(MmioRegister.QueueSel, 1);
        driver.Write(MmioRegister.QueueNum, 12);
        int interrupts = driver.Interrupt.Count;

        driver.DriverOk();

        Assert.Equal(ADFO | DeviceStatus.DeviceNeedsReset, driver.Status);
        Assert.False(driver.Device.IsActivated);
        Assert.Equal(interrupts + 1, driver.Interrupt.Count);
        Assert.Equal(InterruptStatus.ConfigChange, driver.Transport.PendingInterrupts);
        Assert.Contains("power of two", driver.Device.GuestErrors.Last);

        driver.Write(MmioRegister.Status, 0);
        Assert.Equal(DeviceStatus.Reset, driver.Status);
        driver.Initialize();
        Assert.True(driver.Device.IsActivated);
    }

    [Fact]
    public void Driver_ok_with_misaligned_or_absent_rings_sets_needs_reset()
    {
        using FakeDriver driver = NewDriver();
        Assert.True(driver.Negotiate());
        driver.SetUpQueues(16);
        driver.Write(MmioRegister.QueueSel, 0);
        driver.WriteAddress(MmioRegister.QueueDeviceLow, new KataSharp.Vmm.Memory.GuestAddress(driver.Queues[0].Used.Value + 2));
        driver.DriverOk();
        Assert.True((driver.Status & DeviceStatus.DeviceNeedsReset) != 0);
        Assert.Contains("aligned", driver.Device.GuestErrors.Last);

        driver.Negotiate();
        driver.SetUpQueues(16);
        driver.Write(MmioRegister.QueueSel, 1);
        driver.WriteAddress(MmioRegister.QueueDescLow, new KataSharp.Vmm.Memory.GuestAddress(FakeDriver.LowRamSize - 64));
        driver.DriverOk();
        Assert.True((driver.Status & DeviceStatus.DeviceNeedsReset) != 0);
        Assert.Contains("not inside guest RAM", driver.Device.GuestErrors.Last);
    }

    [Fact]
    public void A_queue_notify_through_the_register_reaches_the_device_on_the_event_loop()
    {
        using FakeDriver driver = NewDriver().Initialize();
        var device = (RecordingDevice)driver.Device;
        GuestAddress buffer = driver.Allocate(32);
        driver.Queues[1].AddChain((buffer.Value, 32, true));
        driver.Write(MmioRegister.QueueNotify, 1);
        driver.WaitForUsed(1, 1);
        Assert.Equal((0u, 32u), (driver.Queues[1].UsedElement(0).Id, driver.Queues[1].UsedElement(0).Length));
        Assert.Equal(RecordingDevice.FillByte, driver.Memory.Read<byte>(buffer.Add(31)));
        Assert.Single(device.Chains);

        driver.Write(MmioRegister.QueueNotify, 5); // no such queue
        Assert.Contains("does not exist", device.GuestErrors.Last);
        Assert.Empty(driver.LoopErrors);
    }

    /// <summary>The handshake model the tests check against, written independently of DeviceStatusMachine.</summary>
    private static DeviceStatus ExpectedAfter(DeviceStatus current, DeviceStatus written)
    {
        if (written == 0)
        {
            return 0;
        }
        if (written == (current | DeviceStatus.Failed))
        {
            return written;
        }
        DeviceStatus next = current switch
        {
            0 => A,
            A => AD,
            AD => ADF,
            ADF => ADFO,
            _ => (DeviceStatus)uint.MaxValue,
        };
        return written == next ? next : current;
    }

    private static void DriveTo(FakeDriver driver, DeviceStatus target)
    {
        if (target == DeviceStatus.Reset)
        {
            return;
        }
        driver.Write(MmioRegister.Status, (uint)A);
        if (target == A)
        {
            return;
        }
        driver.Write(MmioRegister.Status, (uint)AD);
        driver.WriteDriverFeatures(VirtioFeatures.Common);
        if (target == AD)
        {
            return;
        }
        driver.Write(MmioRegister.Status, (uint)ADF);
        if (target == ADF)
        {
            driver.SetUpQueues(16);
            return;
        }
        driver.SetUpQueues(16);
        driver.DriverOk();
    }
}
