using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Queue;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>virtio-net through a fake driver and an in-memory tap: negotiation, config, TX, RX, and hostile guests.</summary>
public sealed class NetDeviceTests
{
    /// <summary>What Linux 6.x accepts of our offer, without mergeable buffers (each RX chain holds a whole frame).</summary>
    private const ulong Linux = VirtioFeatures.Common | NetFeatures.Offered;

    private const ulong NoMergeable = Linux & ~NetFeatures.MrgRxbuf;

    private static FakeNetGuest Start(ulong features = Linux, ushort queueSize = 64, ushort? mtu = null, FakeNetBackend? backend = null) =>
        new(backend ?? new FakeNetBackend(), features, queueSize, mtu);

    private static FakeNetBackend BackendOf(FakeNetGuest guest) => (FakeNetBackend)guest.Backend;

    [Fact]
    public void Features_and_config_space_carry_the_mac_link_status_and_mtu()
    {
        using FakeNetGuest guest = Start(mtu: 1400);
        FakeDriver driver = guest.Driver;
        Assert.Equal((uint)VirtioDeviceType.Net, driver.Read(MmioRegister.DeviceId));
        ulong offered = driver.ReadDeviceFeatures();
        ulong expected = NetFeatures.Csum | NetFeatures.GuestCsum | NetFeatures.Mac | NetFeatures.GuestTso4 | NetFeatures.GuestTso6
            | NetFeatures.HostTso4 | NetFeatures.HostTso6 | NetFeatures.MrgRxbuf | NetFeatures.Status | NetFeatures.Mtu;
        Assert.Equal(expected | VirtioFeatures.Common, offered);
        byte[] config = driver.ReadConfig(0, NetConfig.Size);
        Assert.Equal(FakeNetGuest.GuestMac.GetAddressBytes(), config[..6]);
        Assert.Equal(NetConfig.StatusLinkUp, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(6)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(8)));
        Assert.Equal(1400, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(10)));
        Assert.Equal([0, 0, 0, 0], driver.ReadConfig(NetConfig.Size, 4));
    }

    [Fact]
    public void Without_an_mtu_the_mtu_feature_is_not_offered()
    {
        using FakeNetGuest guest = Start();
        Assert.Equal(0UL, guest.Driver.ReadDeviceFeatures() & NetFeatures.Mtu);
    }

    [Fact]
    public void The_config_space_is_read_only()
    {
        using FakeNetGuest guest = Start();
        guest.Driver.Write(MmioRegister.Config, 0xFFFF_FFFF);
        Assert.Equal(FakeNetGuest.GuestMac.GetAddressBytes(), guest.Driver.ReadConfig(0, 6));
    }

    [Theory]
    [InlineData(Linux, TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6)]
    [InlineData(VirtioFeatures.Version1 | NetFeatures.GuestCsum | NetFeatures.GuestTso4, TunOffloads.Checksum | TunOffloads.Tso4)]
    [InlineData(VirtioFeatures.Version1 | NetFeatures.GuestTso4 | NetFeatures.GuestTso6, TunOffloads.None)]
    [InlineData(VirtioFeatures.Version1 | NetFeatures.Mac, TunOffloads.None)]
    public void Activation_hands_the_tap_the_offloads_the_guest_accepted(ulong features, TunOffloads expected)
    {
        using FakeNetGuest guest = Start(features);
        Assert.Equal(expected, BackendOf(guest).OffloadHistory.Last());
        Assert.Equal(expected, guest.Device.ReceiveOffloads);
    }

    [Fact]
    public void A_device_reset_takes_the_offloads_back()
    {
        using FakeNetGuest guest = Start();
        guest.Driver.Write(MmioRegister.Status, 0);
        Assert.Equal(TunOffloads.None, BackendOf(guest).OffloadHistory.Last());
        Assert.Equal(TunOffloads.None, guest.Device.ReceiveOffloads);
    }

    [Fact]
    public void A_transmitted_frame_reaches_the_tap_with_its_header_however_the_chain_is_split()
    {
        using FakeNetGuest guest = Start();
        byte[] ethernet = FakeNetGuest.Ethernet(1000, seed: 3);
        var header = new NetHeader { Flags = NetHeader.FlagNeedsCsum, CsumStart = 34, CsumOffset = 6, NumBuffers = 0xBEEF };
        byte[] frame = FakeNetGuest.WithHeader(ethernet, header);

        ushort head = guest.Send(frame, 5, 7, 100);
        guest.Driver.WaitForUsed(1, 1);

        Assert.Equal([(head, 0u)], guest.Tx.TakeUsed());
        byte[] sent = Assert.Single(BackendOf(guest).Sent);
        NetHeader passed = MemoryMarshal.Read<NetHeader>(sent);
        Assert.Equal((NetHeader.FlagNeedsCsum, (ushort)34, (ushort)6, (ushort)0), (passed.Flags, passed.CsumStart, passed.CsumOffset, passed.NumBuffers));
        Assert.Equal(ethernet, sent[NetHeader.Size..]);
        Assert.Equal((1L, 1014L), (guest.Metrics.TxFrames, guest.Metrics.TxBytes));
        Assert.True(guest.Driver.Interrupt.Count > 0);
    }

    [Fact]
    public void A_received_frame_lands_in_one_posted_buffer_with_a_header()
    {
        using FakeNetGuest guest = Start(NoMergeable);
        ushort head = guest.PostRx(1526);
        guest.KickRx();
        byte[] ethernet = FakeNetGuest.Ethernet(500, seed: 9);
        BackendOf(guest).Enqueue(FakeNetGuest.WithHeader(ethernet, new NetHeader { Flags = NetHeader.FlagDataValid }));

        guest.WaitForRxUsed(1);
        Assert.Equal(head, guest.Rx.UsedElement(0).Id);
        Assert.Equal((uint)(NetHeader.Size + ethernet.Length), guest.Rx.UsedElement(0).Length);
        ReceivedFrame frame = Assert.Single(guest.TakeFrames());
        Assert.Equal(ethernet, frame.Ethernet);
        Assert.Equal(1, frame.Header.NumBuffers);
        Assert.Equal(NetHeader.FlagDataValid, frame.Header.Flags);
        Assert.Equal((1L, 514L), (guest.Metrics.RxFrames, guest.Metrics.RxBytes));
    }

    [Fact]
    public void With_mergeable_buffers_a_large_frame_spans_several_chains_and_num_buffers_says_how_many()
    {
        using FakeNetGuest guest = Start(Linux);
        for (int i = 0; i < 8; i++)
        {
            guest.PostRx(1000);
        }
        guest.KickRx();
        byte[] ethernet = FakeNetGuest.Ethernet(3000 - 14, seed: 1);
        BackendOf(guest).Enqueue(FakeNetGuest.WithHeader(ethernet));

        guest.WaitForRxUsed(4);
        Assert.Equal([1000u, 1000u, 1000u, 12u], Enumerable.Range(0, 4).Select(i => guest.Rx.UsedElement((ushort)i).Length));
        ReceivedFrame frame = Assert.Single(guest.TakeFrames());
        Assert.Equal(4, frame.Header.NumBuffers);
        Assert.Equal(ethernet, frame.Ethernet);
    }

    [Fact]
    public void A_header_split_across_descriptors_of_the_first_chain_is_written_whole()
    {
        using FakeNetGuest guest = Start(Linux);
        guest.PostRxChain(3, 5, 200);
        guest.PostRx(2000);
        guest.KickRx();
        byte[] ethernet = FakeNetGuest.Ethernet(400, seed: 4);
        BackendOf(guest).Enqueue(FakeNetGuest.WithHeader(ethernet, new NetHeader { GsoSize = 0x1234 }));

        guest.WaitForRxUsed(2);
        ReceivedFrame frame = Assert.Single(guest.TakeFrames());
        Assert.Equal((2, (ushort)2, (ushort)0x1234), (frame.Buffers, frame.Header.NumBuffers, frame.Header.GsoSize));
        Assert.Equal(ethernet, frame.Ethernet);
    }

    [Fact]
    public void Without_rx_buffers_the_device_holds_one_frame_leaves_the_rest_in_the_tap_and_resumes_on_a_kick()
    {
        using FakeNetGuest guest = Start(NoMergeable, queueSize: 64);
        FakeNetBackend backend = BackendOf(guest);
        for (int i = 0; i < 50; i++)
        {
            backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: i)));
        }
        Eventually.True(() => guest.Metrics.RxWaitsForBuffers > 0, "the device to find no RX buffer");
        // However often it is woken, it takes no second frame while the first has nowhere to go.
        for (int i = 0; i < 5; i++)
        {
            guest.Driver.Transport.ProcessQueueNow(0);
        }
        Assert.Equal(1, backend.Received);
        Assert.Equal(49, backend.Pending);
        Assert.Equal(0, guest.Metrics.TotalDropped);

        for (int i = 0; i < 50; i++)
        {
            guest.PostRx(200);
        }
        guest.KickRx();
        guest.WaitForRxUsed(50);
        List<ReceivedFrame> frames = guest.TakeFrames();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => FakeNetGuest.Ethernet(100, seed: i)), frames.Select(f => f.Ethernet));
        Assert.Equal(0, backend.Pending);
    }

    [Fact]
    public void A_frame_bigger_than_the_posted_buffer_is_dropped_without_mergeable_buffers_and_the_buffer_serves_the_next()
    {
        using FakeNetGuest guest = Start(NoMergeable);
        ushort head = guest.PostRx(600);
        guest.KickRx();
        FakeNetBackend backend = BackendOf(guest);
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(1000)));
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(300, seed: 5)));

        guest.WaitForRxUsed(1);
        Assert.Equal(head, guest.Rx.UsedElement(0).Id);
        Assert.Equal(FakeNetGuest.Ethernet(300, seed: 5), Assert.Single(guest.TakeFrames()).Ethernet);
        Assert.Equal(1, guest.Metrics.Dropped(NetDropReason.RxNoRoom));
    }

    [Fact]
    public void A_mergeable_frame_bigger_than_the_whole_ring_is_dropped_and_the_ring_serves_the_next()
    {
        using FakeNetGuest guest = Start(Linux, queueSize: 4);
        for (int i = 0; i < 4; i++)
        {
            guest.PostRx(100);
        }
        guest.KickRx();
        FakeNetBackend backend = BackendOf(guest);
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(1000)));
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(200, seed: 2)));

        guest.WaitForRxUsed(3);
        ReceivedFrame frame = Assert.Single(guest.TakeFrames());
        Assert.Equal(3, frame.Buffers);
        Assert.Equal(FakeNetGuest.Ethernet(200, seed: 2), frame.Ethernet);
        Assert.Equal(1, guest.Metrics.Dropped(NetDropReason.RxNoRoom));
    }

    /// <summary>
    /// A guest that keeps publishing RX chains while the device places one mergeable frame (another vCPU refilling
    /// the ring in a real VM; here one of the frame's own buffers lies over avail.idx, so the device's write moves
    /// it) must not make the device take more than a ring of chains for that frame. The old code counted chains
    /// into a 256-entry array without a bound and threw IndexOutOfRangeException on the 257th (found with the
    /// net fuzz target's rings-overwriting chains); the frame is now dropped once a whole ring's worth of chains
    /// cannot hold it, and the device stays live.
    /// </summary>
    [Fact]
    public void A_mergeable_frame_takes_at_most_a_ring_of_chains_even_while_the_guest_keeps_publishing()
    {
        var backend = new FakeNetBackend { AutoSignal = false };
        using FakeNetGuest guest = Start(Linux, queueSize: 256, backend: backend);
        guest.Driver.Loop.Invoke(() => { }); // the activation's receive pass has run (nothing was queued)
        FakeQueue rx = guest.Rx;
        const ushort overAvailIdx = 200;
        guest.PostRx(NetHeader.Size + 1); // the header and the frame's first byte
        for (int head = 1; head < rx.Size; head++)
        {
            ulong address = head == overAvailIdx ? rx.Avail.Value + 2 : guest.Driver.Allocate(1).Value;
            rx.AddChain((address, 1, true)); // one byte each: the low byte of avail.idx for head 200
        }
        Assert.Equal(256, rx.AvailIdx);
        // Chain n takes frame byte 12 + n: byte 212 turns avail.idx 0x0100 into 0x0164, 100 more chains "published"
        // (the ring's first 100 heads again) when 201 have been taken, 356 in all.
        byte[] ethernet = new byte[1000];
        ethernet[overAvailIdx] = 0x64;
        backend.Enqueue(FakeNetGuest.WithHeader(ethernet));

        guest.Driver.Transport.ProcessQueueNow(0);

        Assert.True(guest.Driver.Transport.InternalErrors == 0, $"the device threw: {guest.Driver.Transport.LastInternalError}");
        Assert.False(guest.Device.IsFailed, guest.Device.GuestErrors.Last);
        Assert.Equal(1, guest.Metrics.Dropped(NetDropReason.RxNoRoom));
        Assert.Equal(0, rx.UsedIdx);
        Assert.Empty(guest.Driver.LoopErrors);
    }

    [Theory]
    [InlineData(NetLimits.MaxFrameBytes + 1, NetDropReason.RxOversized)]
    [InlineData(NetLimits.MaxFrameBytes + 5000, NetDropReason.RxOversized)]
    [InlineData(NetLimits.MinFrameBytes - 1, NetDropReason.RxRunt)]
    public void Oversized_and_runt_frames_from_the_tap_are_dropped_and_counted(int ethernetLength, NetDropReason reason)
    {
        using FakeNetGuest guest = Start(NoMergeable, queueSize: 4);
        guest.PostRx(NetLimits.MaxBufferedBytes);
        guest.KickRx();
        FakeNetBackend backend = BackendOf(guest);
        backend.Enqueue(FakeNetGuest.WithHeader(new byte[ethernetLength]));
        byte[] good = FakeNetGuest.Ethernet(NetLimits.MaxFrameBytes - 14, seed: 8);
        backend.Enqueue(FakeNetGuest.WithHeader(good));

        guest.WaitForRxUsed(1);
        Assert.Equal(good, Assert.Single(guest.TakeFrames()).Ethernet);
        Assert.Equal(1, guest.Metrics.Dropped(reason));
        Assert.Equal(1, guest.Metrics.TotalDropped);
    }

    [Fact]
    public void Frames_with_offloads_the_guest_did_not_accept_are_dropped_and_data_valid_is_cleared()
    {
        using FakeNetGuest guest = Start(VirtioFeatures.Version1 | NetFeatures.Mac, queueSize: 8);
        for (int i = 0; i < 4; i++)
        {
            guest.PostRx(2000);
        }
        guest.KickRx();
        FakeNetBackend backend = BackendOf(guest);
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100), new NetHeader { GsoType = NetHeader.GsoTcpV4, GsoSize = 1448 }));
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100), new NetHeader { Flags = NetHeader.FlagNeedsCsum }));
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: 6), new NetHeader { Flags = NetHeader.FlagDataValid }));

        guest.WaitForRxUsed(1);
        ReceivedFrame frame = Assert.Single(guest.TakeFrames());
        Assert.Equal(FakeNetGuest.Ethernet(100, seed: 6), frame.Ethernet);
        Assert.Equal(0, frame.Header.Flags);
        Assert.Equal(2, guest.Metrics.Dropped(NetDropReason.RxOffloadNotAccepted));
    }

    [Fact]
    public void A_malformed_rx_chain_is_returned_unused_with_its_frame_dropped_and_the_next_buffer_works()
    {
        using FakeNetGuest guest = Start(NoMergeable);
        GuestBufferWithReadable(guest);
        ushort good = guest.PostRx(2000);
        guest.KickRx();
        FakeNetBackend backend = BackendOf(guest);
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: 1)));
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: 2)));

        guest.WaitForRxUsed(2);
        Assert.Equal(0u, guest.Rx.UsedElement(0).Length);
        Assert.Equal(good, guest.Rx.UsedElement(1).Id);
        List<ReceivedFrame> frames = guest.TakeFrames();
        Assert.True(frames[0].Skipped);
        Assert.Equal(FakeNetGuest.Ethernet(100, seed: 2), frames[1].Ethernet);
        Assert.Equal(1, guest.Metrics.Dropped(NetDropReason.RxBadChain));
        Assert.False(guest.Device.IsFailed);
    }

    private static void GuestBufferWithReadable(FakeNetGuest guest)
    {
        var readable = guest.Driver.Allocate(64);
        var writable = guest.Driver.Allocate(2000);
        guest.Rx.AddChain((readable.Value, 64, false), (writable.Value, 2000, true));
    }

    public static TheoryData<string> MalformedTx() => ["writable", "short", "oversized", "gso-not-negotiated", "ecn", "udp", "data-valid"];

    [Theory]
    [MemberData(nameof(MalformedTx))]
    public void A_malformed_tx_chain_is_returned_unused_and_counted_and_the_next_frame_goes_out(string kind)
    {
        using FakeNetGuest guest = Start(VirtioFeatures.Common | NetFeatures.Mac | NetFeatures.Csum | NetFeatures.HostTso4);
        FakeDriver driver = guest.Driver;
        NetDropReason expected;
        switch (kind)
        {
            case "writable":
                var data = driver.Allocate(100);
                var status = driver.Allocate(16);
                guest.Tx.AddChain((data.Value, 100, false), (status.Value, 16, true));
                driver.Notify(1);
                expected = NetDropReason.TxMalformedChain;
                break;
            case "short":
                guest.Send(new byte[NetHeader.Size + NetLimits.MinFrameBytes - 1]);
                expected = NetDropReason.TxMalformedChain;
                break;
            case "oversized":
                guest.Send(FakeNetGuest.WithHeader(new byte[NetLimits.MaxFrameBytes + 1]));
                expected = NetDropReason.TxOversized;
                break;
            default:
                var header = kind switch
                {
                    "gso-not-negotiated" => new NetHeader { GsoType = NetHeader.GsoTcpV6, GsoSize = 1400 },
                    "ecn" => new NetHeader { GsoType = NetHeader.GsoTcpV4 | NetHeader.GsoEcn, GsoSize = 1400 },
                    "udp" => new NetHeader { GsoType = NetHeader.GsoUdp, GsoSize = 1400 },
                    _ => new NetHeader { Flags = NetHeader.FlagDataValid },
                };
                guest.Send(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100), header));
                expected = NetDropReason.TxBadHeader;
                break;
        }
        byte[] good = FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(64, seed: 3), new NetHeader { GsoType = NetHeader.GsoTcpV4, GsoSize = 1400 });
        guest.Send(good);
        driver.WaitForUsed(1, 2);

        Assert.Equal(0u, guest.Tx.UsedElement(0).Length);
        Assert.Equal(good, Assert.Single(BackendOf(guest).Sent));
        Assert.Equal(1, guest.Metrics.Dropped(expected));
        Assert.Equal(1, guest.Metrics.TotalDropped);
        Assert.False(guest.Device.IsFailed);
        Assert.Contains("TX chain at head 0 dropped", guest.Device.GuestErrors.Last);
        Assert.Empty(driver.LoopErrors);
    }

    [Theory]
    [InlineData(null, NetDropReason.TxBackendFull)]
    [InlineData(Errno.EIO, NetDropReason.TxLinkDown)]
    [InlineData(Errno.EINVAL, NetDropReason.TxBadHeader)]
    public void A_tap_that_cannot_take_a_frame_costs_that_frame_only(Errno? error, NetDropReason reason)
    {
        var backend = new FakeNetBackend { Full = error is null, SendError = error };
        using FakeNetGuest guest = Start(backend: backend);
        guest.Send(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(64)));
        guest.Driver.WaitForUsed(1, 1);
        Assert.Equal(1, guest.Metrics.Dropped(reason));

        backend.Full = false;
        backend.SendError = null;
        guest.Send(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(64)));
        guest.Driver.WaitForUsed(1, 2);
        Assert.Single(backend.Sent);
        Assert.False(guest.Device.IsFailed);
    }

    [Fact]
    public void Other_tap_write_errors_are_counted_as_backend_errors_and_logged_a_bounded_number_of_times()
    {
        var lines = new List<string>();
        var backend = new FakeNetBackend { SendError = Errno.ENOMEM };
        using var guest = new FakeNetGuest(backend, log: line => { lock (lines) { lines.Add(line); } });
        for (int i = 0; i < 40; i++)
        {
            guest.Send(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(64)));
            guest.Driver.WaitForUsed(1, (ushort)(i + 1));
        }
        Assert.Equal(40, guest.Metrics.BackendErrors);
        lock (lines)
        {
            Assert.Equal(32, lines.Count);
        }
    }

    [Fact]
    public void A_corrupt_rx_ring_parks_the_device_instead_of_the_vmm()
    {
        using FakeNetGuest guest = Start(NoMergeable, queueSize: 8);
        guest.Rx.SetAvailIdx(100);
        BackendOf(guest).Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(64)));
        Eventually.True(() => guest.Device.IsFailed, "the device to fail");
        Assert.NotEqual(0u, (uint)(guest.Driver.Status & DeviceStatus.DeviceNeedsReset));
        Assert.Empty(guest.Driver.LoopErrors);
    }

    [Fact]
    public void A_reset_drops_the_frame_waiting_for_buffers_and_a_new_driver_starts_clean()
    {
        using FakeNetGuest guest = Start(NoMergeable);
        FakeNetBackend backend = BackendOf(guest);
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(64, seed: 1)));
        Eventually.True(() => guest.Metrics.RxWaitsForBuffers > 0, "the device to hold the frame");

        guest.Driver.Initialize(NoMergeable, 8);
        Assert.Equal(1, guest.Metrics.Dropped(NetDropReason.RxDeviceReset));
        Assert.Equal(0, guest.Rx.UsedIdx);
        Assert.Equal([true, false, true], backend.OffloadHistory.Select(o => o != TunOffloads.None));
    }

    [Fact]
    public void A_tx_turn_stops_at_its_byte_budget_and_the_rest_follows_on_the_event_loop()
    {
        var backend = new FakeNetBackend();
        using FakeNetGuest guest = Start(queueSize: 128, backend: backend);
        const int frames = 100;
        byte[] frame = FakeNetGuest.WithHeader(new byte[60_000]);
        for (int i = 0; i < frames; i++)
        {
            var at = guest.Driver.Allocate((ulong)frame.Length);
            guest.Driver.Memory.Write(at, frame);
            guest.Tx.AddChain((at.Value, (uint)frame.Length, false));
        }
        guest.Driver.Transport.ProcessQueueNow(1); // one turn, on this thread; it re-kicks the queue for the rest
        guest.Driver.WaitForUsed(1, frames);

        int thisThread = Environment.CurrentManagedThreadId;
        long budgetFrames = (NetLimits.BytesPerTurn + frame.Length - 1) / frame.Length;
        Assert.Equal(budgetFrames, backend.SendingThreads.Count(t => t == thisThread));
        Assert.Equal(frames, backend.Sent.Count);
    }

    [Fact]
    public void An_rx_turn_stops_at_its_frame_budget_and_the_rest_follows_on_the_event_loop()
    {
        var backend = new FakeNetBackend { AutoSignal = false };
        using FakeNetGuest guest = Start(NoMergeable, queueSize: 256, backend: backend);
        guest.Driver.Loop.Invoke(() => { }); // the activation's receive pass has run (nothing was queued)
        const int frames = NetLimits.FramesPerTurn + 44;
        for (int i = 0; i < 256; i++)
        {
            guest.PostRx(200);
        }
        for (int i = 0; i < frames; i++)
        {
            backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: i)));
        }
        guest.Driver.Transport.ProcessQueueNow(0);

        int thisThread = Environment.CurrentManagedThreadId;
        Assert.Equal(NetLimits.FramesPerTurn, backend.ReceivingThreads.Count(t => t == thisThread));
        guest.WaitForRxUsed(NetLimits.FramesPerTurn);
        Assert.Equal(256, guest.TakeFrames().Count);
    }

    [Fact]
    public void Notifications_and_raised_interrupts_are_counted_per_direction_and_logged_when_the_device_stops()
    {
        var lines = new List<string>();
        var backend = new FakeNetBackend { AutoSignal = false };
        var guest = new FakeNetGuest(backend, Linux, queueSize: 64, log: line => { lock (lines) { lines.Add(line); } });
        guest.Driver.Loop.Invoke(() => { }); // the activation's receive pass has run (nothing was queued)
        int interrupts = guest.Driver.Interrupt.Count;

        // TX: three frames in one turn are one notification and one interrupt (used_event 0 is behind).
        byte[] frame = FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(200));
        for (int i = 0; i < 3; i++)
        {
            var at = guest.Driver.Allocate((ulong)frame.Length);
            guest.Driver.Memory.Write(at, frame);
            guest.Tx.AddChain((at.Value, (uint)frame.Length, false));
        }
        guest.Driver.Transport.ProcessQueueNow(1);
        Assert.Equal((3L, 1L, 1L), (guest.Metrics.TxFrames, guest.Metrics.TxNotifications, guest.Metrics.TxInterrupts));
        Assert.Equal(interrupts + 1, guest.Driver.Interrupt.Count);

        // A turn whose used chains the driver asked not to hear about (used_event ahead) raises none and counts none.
        guest.Tx.SetUsedEvent(100);
        var last = guest.Driver.Allocate((ulong)frame.Length);
        guest.Driver.Memory.Write(last, frame);
        guest.Tx.AddChain((last.Value, (uint)frame.Length, false));
        guest.Driver.Transport.ProcessQueueNow(1);
        Assert.Equal((4L, 2L, 1L), (guest.Metrics.TxFrames, guest.Metrics.TxNotifications, guest.Metrics.TxInterrupts));
        Assert.Equal(interrupts + 1, guest.Driver.Interrupt.Count);

        // RX: two frames placed in one turn are one notification and one interrupt.
        guest.PostRx(1000);
        guest.PostRx(1000);
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: 1)));
        backend.Enqueue(FakeNetGuest.WithHeader(FakeNetGuest.Ethernet(100, seed: 2)));
        guest.Driver.Transport.ProcessQueueNow(0);
        Assert.Equal((2L, 1L, 1L), (guest.Metrics.RxFrames, guest.Metrics.RxNotifications, guest.Metrics.RxInterrupts));
        Assert.Equal(interrupts + 2, guest.Driver.Interrupt.Count);
        Assert.Equal(1L, guest.Metrics.RxWakeups); // the activation's pass only: the fake tap never turned readable

        guest.Dispose();
        string logged;
        lock (lines)
        {
            logged = Assert.Single(lines, l => l.Contains("counters:", StringComparison.Ordinal));
        }
        Assert.Equal(
            "[virtio net-test] counters: rx_frames=2 rx_bytes=228 tx_frames=4 tx_bytes=856 rx_notifications=1 tx_notifications=2 " +
            "rx_wakeups=1 rx_interrupts=1 tx_interrupts=1 rx_waits_for_buffers=0 dropped=0 backend_errors=0",
            logged);
    }

    [Fact]
    public void Disposing_the_device_closes_the_backend()
    {
        var backend = new FakeNetBackend();
        var guest = Start(backend: backend);
        guest.Dispose();
        Assert.True(backend.IsDisposed);
    }

    [Theory]
    [InlineData("01:00:5e:00:00:01", null, "multicast")]
    [InlineData("00:00:00:00:00:00", null, "zero")]
    [InlineData("02:00:00:00:00:01", (ushort)67, "below 68")]
    public void Bad_options_are_refused_naming_the_fix(string mac, ushort? mtu, string problem)
    {
        var options = new NetOptions(System.Net.NetworkInformation.PhysicalAddress.Parse(mac), mtu);
        var e = Assert.Throws<NetDeviceException>(options.Validate);
        Assert.Contains(problem, e.Message);
    }
}
