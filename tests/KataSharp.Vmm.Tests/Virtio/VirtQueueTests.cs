using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Queue;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio;

/// <summary>The split virtqueue against a driver that lays out rings in guest memory, friendly and hostile.</summary>
public sealed class VirtQueueTests : IDisposable
{
    private readonly FakeDriver _driver;
    private readonly RecordingDevice _device;

    public VirtQueueTests()
    {
        _driver = new FakeDriver(() => new RecordingDevice()).Initialize(queueSize: 16);
        _device = (RecordingDevice)_driver.Device;
    }

    private FakeQueue Queue => _driver.Queues[0];

    public void Dispose() => _driver.Dispose();

    /// <summary>Runs queue 0's handler on this thread (deterministic) and returns what came back.</summary>
    private List<(uint Id, uint Length)> Process()
    {
        _driver.Transport.ProcessQueueNow(0);
        return Queue.TakeUsed();
    }

    [Fact]
    public void A_direct_chain_is_read_and_written_in_order()
    {
        GuestAddress header = _driver.Allocate(16);
        GuestAddress data = _driver.Allocate(100);
        GuestAddress status = _driver.Allocate(1);
        ushort head = Queue.AddChain((header.Value, 16, false), (data.Value, 100, true), (status.Value, 1, true));

        var used = Process();

        Assert.Equal([(head, 101u)], used);
        var chain = Assert.Single(_device.Chains);
        Assert.Equal(3, chain.Buffers.Length);
        Assert.False(chain.Buffers[0].IsWriteOnly);
        Assert.True(chain.Buffers[1].IsWriteOnly);
        Assert.Equal(RecordingDevice.FillByte, _driver.Memory.Read<byte>(status));
        Assert.False(_device.IsFailed);
    }

    [Fact]
    public void An_indirect_chain_is_followed_when_negotiated()
    {
        GuestAddress table = _driver.Allocate(64);
        GuestAddress a = _driver.Allocate(8);
        GuestAddress b = _driver.Allocate(24);
        ushort head = Queue.AddIndirectChain(table, (a.Value, 8, false), (b.Value, 24, true));

        Assert.Equal([(head, 24u)], Process());
        Assert.Equal(2, _device.Chains[0].Buffers.Length);
        Assert.Equal(b, _device.Chains[0].Buffers[1].Address);
    }

    [Fact]
    public void An_indirect_chain_is_dropped_when_not_negotiated()
    {
        using var driver = new FakeDriver(() => new RecordingDevice()).Initialize(VirtioFeatures.Version1, 16);
        GuestAddress table = driver.Allocate(32);
        ushort head = driver.Queues[0].AddIndirectChain(table, (driver.Allocate(8).Value, 8, true));
        driver.Transport.ProcessQueueNow(0);
        Assert.Equal([(head, 0u)], driver.Queues[0].TakeUsed());
        Assert.Contains("RING_INDIRECT_DESC", driver.Device.GuestErrors.Last);
    }

    [Fact]
    public void A_descriptor_loop_is_dropped_and_the_queue_keeps_working()
    {
        GuestAddress buffer = _driver.Allocate(8);
        Queue.WriteDescriptor(0, buffer.Value, 8, DescriptorFlags.Next, 1);
        Queue.WriteDescriptor(1, buffer.Value, 8, DescriptorFlags.Next, 0);
        Queue.Publish(0);

        Assert.Equal([(0u, 0u)], Process());
        Assert.Contains("longer than 16", _device.GuestErrors.Last);
        Assert.Empty(_device.Chains);

        Queue.WriteDescriptor(2, buffer.Value, 8, DescriptorFlags.Write);
        Queue.Publish(2);
        Assert.Equal([(2u, 8u)], Process());
        Assert.False(_device.IsFailed);
    }

    [Fact]
    public void A_self_loop_in_an_indirect_table_is_dropped()
    {
        GuestAddress table = _driver.Allocate(32);
        GuestAddress buffer = _driver.Allocate(8);
        Queue.WriteDescriptorAt(table, buffer.Value, 8, DescriptorFlags.Next, 0);
        Queue.WriteDescriptor(3, table.Value, 32, DescriptorFlags.Indirect);
        Queue.Publish(3);
        Assert.Equal([(3u, 0u)], Process());
        Assert.Contains("longer than 2", _device.GuestErrors.Last);
    }

    [Fact]
    public void A_chain_using_every_descriptor_is_fine_but_next_out_of_the_table_is_not()
    {
        GuestAddress buffer = _driver.Allocate(16);
        for (ushort i = 0; i < 16; i++)
        {
            Queue.WriteDescriptor(i, buffer.Value, 1, DescriptorFlags.Write | (i < 15 ? DescriptorFlags.Next : 0), (ushort)(i + 1));
        }
        Queue.Publish(0);
        Assert.Equal([(0u, 16u)], Process());

        Queue.WriteDescriptor(15, buffer.Value, 1, DescriptorFlags.Write | DescriptorFlags.Next, 16);
        Queue.Publish(0);
        Assert.Equal([(0u, 0u)], Process());
        Assert.Contains("outside a table of 16", _device.GuestErrors.Last);
    }

    [Theory]
    [InlineData(FakeDriver.LowRamSize, 8u, "beyond the end of RAM")]
    [InlineData(FakeDriver.LowRamSize - 4, 8u, "crossing from RAM into the hole")]
    [InlineData(FakeDriver.HighRamStart + FakeDriver.HighRamSize - 1, 2u, "crossing the end of the last region")]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0x2000u, "an address + length that wraps 64 bits")]
    [InlineData(0x1_0000_0000UL, 1u, "above 4 GiB where there is no RAM")]
    public void A_buffer_outside_guest_ram_is_dropped(ulong address, uint length, string why)
    {
        ushort head = Queue.AddChain((address, length, true));
        Assert.True(Process().SequenceEqual([(head, 0u)]), why);
        Assert.Contains("not inside guest RAM", _device.GuestErrors.Last);
        Assert.Empty(_device.Chains);
    }

    [Fact]
    public void Buffers_in_the_high_region_are_fine()
    {
        ushort head = Queue.AddChain((FakeDriver.HighRamStart + 100, 50, true));
        Assert.Equal([(head, 50u)], Process());
        Assert.Equal(RecordingDevice.FillByte, _driver.Memory.Read<byte>(new GuestAddress(FakeDriver.HighRamStart + 149)));
        Assert.Equal(0, _driver.Memory.Read<byte>(new GuestAddress(FakeDriver.HighRamStart + 150)));
    }

    [Fact]
    public void Zero_length_buffers_are_accepted()
    {
        GuestAddress buffer = _driver.Allocate(8);
        ushort head = Queue.AddChain((buffer.Value, 0, false), (buffer.Value, 0, true), (buffer.Value, 4, true));
        Assert.Equal([(head, 4u)], Process());
    }

    [Fact]
    public void A_readable_buffer_after_a_writable_one_is_dropped()
    {
        GuestAddress buffer = _driver.Allocate(8);
        ushort head = Queue.AddChain((buffer.Value, 4, true), (buffer.Value, 4, false));
        Assert.Equal([(head, 0u)], Process());
        Assert.Contains("follows a device-writable", _device.GuestErrors.Last);
    }

    [Fact]
    public void Chains_whose_lengths_add_up_past_4_GiB_are_dropped()
    {
        // Overlapping descriptors can claim any total: the sum is checked, not trusted.
        GuestAddress table = _driver.Allocate(16 * 3);
        for (int i = 0; i < 3; i++)
        {
            Queue.WriteDescriptorAt(table.Add((ulong)(16 * i)), 0, (uint)(FakeDriver.LowRamSize), DescriptorFlags.Write | (i < 2 ? DescriptorFlags.Next : 0), (ushort)(i + 1));
        }
        // 3 × 16 MiB is fine; build the overflow with 300 entries × 16 MiB instead.
        GuestAddress big = _driver.Allocate(16 * 300);
        for (int i = 0; i < 300; i++)
        {
            Queue.WriteDescriptorAt(big.Add((ulong)(16 * i)), 0, (uint)FakeDriver.LowRamSize, DescriptorFlags.Write | (i < 299 ? DescriptorFlags.Next : 0), (ushort)(i + 1));
        }
        Queue.WriteDescriptor(5, big.Value, 16 * 300, DescriptorFlags.Indirect);
        Queue.Publish(5);
        Assert.Equal([(5u, 0u)], Process());
        Assert.Contains("add up to more than", _device.GuestErrors.Last);
    }

    [Theory]
    [InlineData(0u, "a zero-length table")]
    [InlineData(24u, "a length that is not a multiple of 16")]
    [InlineData(16u * 1025, "more entries than the cap")]
    public void Bad_indirect_table_lengths_are_dropped(uint length, string why)
    {
        GuestAddress table = _driver.Allocate(16 * 1025);
        Queue.WriteDescriptor(0, table.Value, length, DescriptorFlags.Indirect);
        Queue.Publish(0);
        Assert.True(Process().SequenceEqual([(0u, 0u)]), why);
        Assert.Contains("indirect table", _device.GuestErrors.Last);
    }

    [Fact]
    public void A_huge_indirect_table_outside_ram_is_dropped_without_reading_it()
    {
        Queue.WriteDescriptor(0, FakeDriver.LowRamSize - 16, 16 * 1024, DescriptorFlags.Indirect);
        Queue.Publish(0);
        Assert.Equal([(0u, 0u)], Process());
        Assert.Contains("not inside guest RAM", _device.GuestErrors.Last);
    }

    [Fact]
    public void Nested_indirect_tables_and_indirect_with_next_are_dropped()
    {
        GuestAddress inner = _driver.Allocate(16);
        GuestAddress outer = _driver.Allocate(16);
        Queue.WriteDescriptorAt(inner, _driver.Allocate(8).Value, 8, DescriptorFlags.Write, 0);
        Queue.WriteDescriptorAt(outer, inner.Value, 16, DescriptorFlags.Indirect, 0);
        Queue.WriteDescriptor(0, outer.Value, 16, DescriptorFlags.Indirect);
        Queue.Publish(0);
        Assert.Equal([(0u, 0u)], Process());
        Assert.Contains("itself indirect", _device.GuestErrors.Last);

        Queue.WriteDescriptor(1, inner.Value, 16, DescriptorFlags.Indirect | DescriptorFlags.Next, 2);
        Queue.Publish(1);
        Assert.Equal([(1u, 0u)], Process());
        Assert.Contains("both INDIRECT and NEXT", _device.GuestErrors.Last);

        Queue.WriteDescriptor(2, _driver.Allocate(8).Value, 8, DescriptorFlags.Next, 3);
        Queue.WriteDescriptor(3, inner.Value, 16, DescriptorFlags.Indirect);
        Queue.Publish(2);
        Assert.Equal([(2u, 0u)], Process());
        Assert.Contains("not the chain's only descriptor", _device.GuestErrors.Last);
        Assert.False(_device.IsFailed);
    }

    [Fact]
    public void An_avail_index_jump_beyond_the_queue_size_breaks_the_device_until_reset()
    {
        int interrupts = _driver.Interrupt.Count;
        Queue.SetAvailIdx(17);

        Assert.Empty(Process());

        Assert.True(_device.IsFailed);
        Assert.True((_driver.Status & DeviceStatus.DeviceNeedsReset) != 0);
        Assert.Equal(interrupts + 1, _driver.Interrupt.Count);
        Assert.Equal(InterruptStatus.ConfigChange, _driver.Transport.PendingInterrupts);
        Assert.Contains("jumped", _device.GuestErrors.Last);

        // Further notifications are ignored; a reset brings it back.
        Queue.SetAvailIdx(1);
        Assert.Empty(Process());
        _driver.Initialize(queueSize: 16);
        Assert.False(_device.IsFailed);
        ushort head = _driver.Queues[0].AddChain((_driver.Allocate(4).Value, 4, true));
        _driver.Transport.ProcessQueueNow(0);
        Assert.Equal([(head, 4u)], _driver.Queues[0].TakeUsed());
    }

    [Fact]
    public void A_head_index_beyond_the_queue_breaks_the_device()
    {
        Queue.Publish(16);
        Assert.Empty(Process());
        Assert.True(_device.IsFailed);
        Assert.Contains("head descriptor 16", _device.GuestErrors.Last);
    }

    [Fact]
    public void Without_event_idx_the_no_interrupt_flag_suppresses_interrupts()
    {
        using var driver = new FakeDriver(() => new RecordingDevice()).Initialize(VirtioFeatures.Version1, 16);
        FakeQueue queue = driver.Queues[0];
        queue.SetAvailFlags(1);
        queue.AddChain((driver.Allocate(4).Value, 4, true));
        driver.Transport.ProcessQueueNow(0);
        Assert.Equal(0, driver.Interrupt.Count);

        queue.SetAvailFlags(0);
        queue.AddChain((driver.Allocate(4).Value, 4, true));
        driver.Transport.ProcessQueueNow(0);
        Assert.Equal(1, driver.Interrupt.Count);
    }

    [Fact]
    public void With_event_idx_interrupts_follow_used_event_and_avail_event_is_published()
    {
        GuestAddress buffer = _driver.Allocate(4);
        Queue.SetUsedEvent(2); // "interrupt me once used.idx passes 2"
        Queue.AddChain((buffer.Value, 4, true));
        Process();
        Assert.Equal(0, _driver.Interrupt.Count);
        Assert.Equal(1, Queue.AvailEvent);

        Queue.AddChain((buffer.Value, 4, true));
        Process();
        Assert.Equal(0, _driver.Interrupt.Count);

        Queue.AddChain((buffer.Value, 4, true));
        Process();
        Assert.Equal(1, _driver.Interrupt.Count);
        Assert.Equal(3, Queue.AvailEvent);
    }

    [Fact]
    public void Indices_wrap_around_65536_without_losing_chains()
    {
        GuestAddress buffer = _driver.Allocate(4);
        int total = 0;
        for (int round = 0; round < 70_000 / 8; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                Queue.AddChain((buffer.Value, 4, true));
            }
            var used = Process();
            Assert.Equal(8, used.Count);
            Assert.All(used, u => Assert.Equal(4u, u.Length));
            total += used.Count;
        }
        Assert.Equal(70_000 / 8 * 8, total);
        Assert.Equal((ushort)total, Queue.UsedIdx);
        Assert.False(_device.IsFailed);
    }

    [Fact]
    public void A_guest_that_never_stops_submitting_cannot_hold_the_event_loop()
    {
        GuestAddress buffer = _driver.Allocate(4);
        // Each handled chain makes a new one available, as a busy guest on another vCPU would.
        _device.AfterChain = _ => Queue.AddChain((buffer.Value, 4, true));
        Queue.AddChain((buffer.Value, 4, true));
        using var gate = new ManualResetEventSlim();
        _driver.Loop.Post(gate.Wait); // park the event loop so only this thread runs the handler

        try
        {
            _driver.Transport.ProcessQueueNow(0);

            Assert.Equal(QueueLimits.ChainsPerTurn, _device.Chains.Count);
            Assert.Equal(1UL, _driver.Transport.QueueEvents[0].Drain()); // it re-notified itself for the rest
            Assert.False(_device.IsFailed);
        }
        finally
        {
            _device.AfterChain = null;
            gate.Set();
        }
    }
}
