using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using KataSharp.Linux.Files;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>
/// virtio-net on a real tap: the tap is opened in a private network namespace (as the shim opens one in
/// a pod's) and handed to the device as a descriptor; the namespace side sends and receives UDP through
/// the kernel's stack while a fake driver plays the guest. Everything is gone when a test ends, passed or
/// failed: the tap with its descriptor, the namespace with its last reference.
/// </summary>
public sealed class TapNetDeviceTests
{
    private const ulong Linux = VirtioFeatures.Common | NetFeatures.Offered;
    private const int GuestPort = 7777;
    private const int HostPort = 5555;

    private static FakeNetGuest StartGuest(PrivateTapNetwork network, ulong features)
    {
        TapDevice tap = network.OpenTap();
        var guest = new FakeNetGuest(TapBackend.Adopt(tap.Descriptor), features, queueSize: 64);
        network.Configure(FakeNetGuest.GuestMac);
        return guest;
    }

    [TapFact]
    public void A_datagram_from_the_namespace_reaches_the_guest_with_a_partial_checksum_when_it_accepted_checksum_offload()
    {
        using var network = new PrivateTapNetwork();
        using FakeNetGuest guest = StartGuest(network, Linux);
        for (int i = 0; i < 16; i++)
        {
            guest.PostRx(2048);
        }
        guest.KickRx();
        Socket host = network.UdpSocket(HostPort);
        byte[] payload = Encoding.ASCII.GetBytes("hello from the pod's namespace");

        host.SendTo(payload, new IPEndPoint(PrivateTapNetwork.GuestAddress, GuestPort));

        ReceivedFrame frame = WaitForUdp(guest, GuestPort);
        Assert.Equal(payload, UdpPayload(frame.Ethernet));
        Assert.Equal(network.TapMac, new PhysicalAddress(frame.Ethernet[6..12]));
        Assert.Equal(NetHeader.FlagNeedsCsum, frame.Header.Flags & NetHeader.FlagNeedsCsum);
        Assert.Equal((ushort)(14 + 20), frame.Header.CsumStart);
        Assert.Equal((ushort)6, frame.Header.CsumOffset);
    }

    [TapFact]
    public void Without_checksum_offload_the_guest_gets_a_complete_checksum_and_no_flags()
    {
        using var network = new PrivateTapNetwork();
        using FakeNetGuest guest = StartGuest(network, VirtioFeatures.Common | NetFeatures.Mac | NetFeatures.MrgRxbuf);
        for (int i = 0; i < 16; i++)
        {
            guest.PostRx(2048);
        }
        guest.KickRx();
        Socket host = network.UdpSocket(HostPort);

        host.SendTo(Encoding.ASCII.GetBytes("checksummed by the host"), new IPEndPoint(PrivateTapNetwork.GuestAddress, GuestPort));

        ReceivedFrame frame = WaitForUdp(guest, GuestPort);
        Assert.Equal(0, frame.Header.Flags);
        Assert.True(UdpChecksumValid(frame.Ethernet), "the UDP checksum the guest got is not complete");
    }

    [TapFact]
    public void A_frame_the_guest_sends_is_delivered_to_a_socket_in_the_namespace()
    {
        using var network = new PrivateTapNetwork();
        using FakeNetGuest guest = StartGuest(network, Linux);
        Socket host = network.UdpSocket(HostPort);
        byte[] payload = Encoding.ASCII.GetBytes("hello from the guest");

        guest.Send(FakeNetGuest.WithHeader(UdpFrame(network.TapMac, payload)), 12);

        var buffer = new byte[100];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = host.ReceiveFrom(buffer, ref from);
        Assert.Equal(payload, buffer[..n]);
        Assert.Equal(new IPEndPoint(PrivateTapNetwork.GuestAddress, GuestPort), from);
        guest.Driver.WaitForUsed(1, 1);
        Assert.Equal(1, guest.Metrics.TxFrames);
    }

    [TapFact]
    public void A_guest_without_rx_buffers_costs_the_host_one_frame_the_tap_drops_the_rest_and_rx_resumes_with_buffers()
    {
        using var network = new PrivateTapNetwork();
        using FakeNetGuest guest = StartGuest(network, Linux);
        Socket host = network.UdpSocket(HostPort);
        var guestEnd = new IPEndPoint(PrivateTapNetwork.GuestAddress, GuestPort);
        var datagram = new byte[1000];
        for (int i = 0; i < 3000; i++)
        {
            host.SendTo(datagram, guestEnd);
        }

        Eventually.True(() => network.TapStatistics.TxDropped > 0, "the tap's queue to overflow and drop");
        Assert.True(guest.Metrics.RxWaitsForBuffers > 0);
        Assert.Equal(1, network.TapStatistics.TxPackets); // the one frame the device read and holds
        Assert.Equal(0, guest.Metrics.RxFrames);
        Assert.Equal(0, guest.Metrics.TotalDropped);

        for (int i = 0; i < 32; i++)
        {
            guest.PostRx(2048);
        }
        guest.KickRx();
        guest.WaitForRxUsed(32);
        Assert.Equal(32, guest.TakeFrames().Count(f => UdpDestinationPort(f.Ethernet) == GuestPort));
    }

    [TapFact]
    public void The_tap_gets_a_12_byte_vnet_header_and_disappears_with_the_device()
    {
        using var network = new PrivateTapNetwork();
        TapDevice tap = network.OpenTap();
        FileDescriptor descriptor = tap.Descriptor;
        var guest = new FakeNetGuest(TapBackend.Adopt(descriptor), Linux);
        Assert.Equal(NetHeader.Size, tap.GetVnetHeaderSize());
        Assert.True(network.TapExists);

        guest.Dispose();
        Assert.True(descriptor.IsClosed);
        Assert.False(network.TapExists);
    }

    [TapFact]
    public void A_tap_opened_without_a_vnet_header_is_refused_and_closed()
    {
        using var network = new PrivateTapNetwork();
        TapDevice tap = network.OpenTap(TunFlags.None);
        var e = Assert.Throws<NetDeviceException>(() => TapBackend.Adopt(tap.Descriptor));
        Assert.Contains("IFF_VNET_HDR", e.Message);
        Assert.True(tap.Descriptor.IsClosed);
        Assert.False(network.TapExists);
    }

    [Fact]
    public void A_descriptor_that_is_no_tap_is_refused_and_closed()
    {
        FileDescriptor devNull = FileDescriptor.Open("/dev/null", (int)OpenFlags.ReadWrite);
        var e = Assert.Throws<NetDeviceException>(() => TapBackend.Adopt(devNull));
        Assert.Contains("TUNGETIFF", e.Message);
        Assert.True(devNull.IsClosed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a-name-longer-than-15")]
    [InlineData("bad/name")]
    public void A_bad_tap_name_is_refused_before_any_syscall(string name)
    {
        var e = Assert.Throws<NetDeviceException>(() => TapBackend.Open(name));
        Assert.Contains("not a valid interface name", e.Message);
    }

    private static ReceivedFrame WaitForUdp(FakeNetGuest guest, int port)
    {
        var frames = new List<ReceivedFrame>();
        ReceivedFrame? found = null;
        Eventually.True(() =>
        {
            frames.AddRange(guest.TakeFrames());
            found = frames.FirstOrDefault(f => !f.Skipped && UdpDestinationPort(f.Ethernet) == port);
            return found is not null;
        }, $"a UDP datagram to guest port {port}");
        return found!;
    }

    /// <summary>The UDP destination port of an untagged IPv4 frame, or -1.</summary>
    private static int UdpDestinationPort(byte[] ethernet)
    {
        if (ethernet.Length < 14 + 20 + 8 || BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(12)) != 0x0800 || ethernet[14 + 9] != 17)
        {
            return -1;
        }
        int ihl = (ethernet[14] & 0xF) * 4;
        return BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(14 + ihl + 2));
    }

    private static byte[] UdpPayload(byte[] ethernet)
    {
        int ihl = (ethernet[14] & 0xF) * 4;
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(14 + ihl + 4));
        return ethernet.AsSpan(14 + ihl + 8, udpLength - 8).ToArray();
    }

    /// <summary>Guest → host: Ethernet, IPv4 (DF, TTL 64, header checksum), UDP without a checksum (allowed on IPv4).</summary>
    private static byte[] UdpFrame(PhysicalAddress destination, byte[] payload)
    {
        var frame = new byte[14 + 20 + 8 + payload.Length];
        destination.GetAddressBytes().CopyTo(frame, 0);
        FakeNetGuest.GuestMac.GetAddressBytes().CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        Span<byte> ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000);
        ip[8] = 64;
        ip[9] = 17;
        PrivateTapNetwork.GuestAddress.GetAddressBytes().CopyTo(ip[12..]);
        PrivateTapNetwork.HostAddress.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~OnesComplementSum(ip, 0));
        Span<byte> udp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, GuestPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], HostPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(udp[8..]);
        return frame;
    }

    /// <summary>True when the UDP checksum over the pseudo-header, header and payload folds to 0xFFFF.</summary>
    private static bool UdpChecksumValid(byte[] ethernet)
    {
        int ihl = (ethernet[14] & 0xF) * 4;
        ReadOnlySpan<byte> udp = ethernet.AsSpan(14 + ihl, BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(14 + ihl + 4)));
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[6..]) == 0)
        {
            return false; // "no checksum" is not a complete one
        }
        var pseudo = new byte[12];
        ethernet.AsSpan(14 + 12, 8).CopyTo(pseudo);
        pseudo[9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)udp.Length);
        return OnesComplementSum(udp, OnesComplementSum(pseudo, 0)) == 0xFFFF;
    }

    private static uint OnesComplementSum(ReadOnlySpan<byte> data, uint sum)
    {
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (data.Length % 2 == 1)
        {
            sum += (uint)data[^1] << 8;
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return sum;
    }
}
