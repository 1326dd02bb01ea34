using System.Runtime.InteropServices;
using KataSharp.Linux.Interop;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Virtio.Devices.Net;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>
/// The virtio-net and tun/tap definitions checked against the kernel's uapi headers (linux/virtio_net.h,
/// linux/if_tun.h, linux/if.h): feature bits, the 12-byte header, the config layout, the ioctl numbers,
/// <c>struct ifreq</c>, the TUNSETIFF and TUNSETOFFLOAD flags.
/// </summary>
public sealed class NetLayoutTests
{
    [Fact]
    public void Virtio_net_features_header_and_config_match_the_kernel_headers()
    {
        var c = new CHeaderAssertions("linux/virtio_net.h");
        (string Name, ulong Value)[] features =
        [
            ("VIRTIO_NET_F_CSUM", NetFeatures.Csum), ("VIRTIO_NET_F_GUEST_CSUM", NetFeatures.GuestCsum),
            ("VIRTIO_NET_F_MTU", NetFeatures.Mtu), ("VIRTIO_NET_F_MAC", NetFeatures.Mac),
            ("VIRTIO_NET_F_GUEST_TSO4", NetFeatures.GuestTso4), ("VIRTIO_NET_F_GUEST_TSO6", NetFeatures.GuestTso6),
            ("VIRTIO_NET_F_HOST_TSO4", NetFeatures.HostTso4), ("VIRTIO_NET_F_HOST_TSO6", NetFeatures.HostTso6),
            ("VIRTIO_NET_F_MRG_RXBUF", NetFeatures.MrgRxbuf), ("VIRTIO_NET_F_STATUS", NetFeatures.Status),
        ];
        foreach (var (name, value) in features)
        {
            c.Assert($"(1ULL << {name}) == {value}ULL");
        }
        c.Assert($"sizeof(struct virtio_net_hdr_v1) == {NetHeader.Size}");
        c.Assert($"sizeof(struct virtio_net_hdr_v1) == {Marshal.SizeOf<NetHeader>()}");
        (string C, string CSharp)[] fields =
        [
            ("flags", nameof(NetHeader.Flags)), ("gso_type", nameof(NetHeader.GsoType)), ("hdr_len", nameof(NetHeader.HeaderLength)),
            ("gso_size", nameof(NetHeader.GsoSize)), ("csum_start", nameof(NetHeader.CsumStart)),
            ("csum_offset", nameof(NetHeader.CsumOffset)), ("num_buffers", nameof(NetHeader.NumBuffers)),
        ];
        foreach (var (cName, field) in fields)
        {
            c.Assert($"offsetof(struct virtio_net_hdr_v1, {cName}) == {Marshal.OffsetOf<NetHeader>(field)}");
        }
        c.Assert($"offsetof(struct virtio_net_hdr_v1, num_buffers) == {NetHeader.NumBuffersOffset}");
        c.Assert($"VIRTIO_NET_HDR_F_NEEDS_CSUM == {NetHeader.FlagNeedsCsum}");
        c.Assert($"VIRTIO_NET_HDR_F_DATA_VALID == {NetHeader.FlagDataValid}");
        c.Assert($"VIRTIO_NET_HDR_GSO_NONE == {NetHeader.GsoNone}");
        c.Assert($"VIRTIO_NET_HDR_GSO_TCPV4 == {NetHeader.GsoTcpV4}");
        c.Assert($"VIRTIO_NET_HDR_GSO_UDP == {NetHeader.GsoUdp}");
        c.Assert($"VIRTIO_NET_HDR_GSO_TCPV6 == {NetHeader.GsoTcpV6}");
        c.Assert($"VIRTIO_NET_HDR_GSO_ECN == {NetHeader.GsoEcn}");
        c.Assert("offsetof(struct virtio_net_config, mac) == 0");
        c.Assert("offsetof(struct virtio_net_config, status) == 6");
        c.Assert("offsetof(struct virtio_net_config, max_virtqueue_pairs) == 8");
        c.Assert("offsetof(struct virtio_net_config, mtu) == 10");
        c.Assert($"offsetof(struct virtio_net_config, mtu) + 2 == {NetConfig.Size}");
        c.Assert($"VIRTIO_NET_S_LINK_UP == {NetConfig.StatusLinkUp}");
        c.Compile();
    }

    [Fact]
    public unsafe void Tun_ioctls_flags_and_ifreq_match_the_kernel_headers()
    {
        var c = new CHeaderAssertions("sys/ioctl.h", "sys/socket.h", "linux/if.h", "linux/if_tun.h");
        c.Assert($"(unsigned int)TUNSETIFF == {TunCalls.TUNSETIFF}u");
        c.Assert($"(unsigned int)TUNGETIFF == {TunCalls.TUNGETIFF}u");
        c.Assert($"(unsigned int)TUNSETOFFLOAD == {TunCalls.TUNSETOFFLOAD}u");
        c.Assert($"(unsigned int)TUNGETVNETHDRSZ == {TunCalls.TUNGETVNETHDRSZ}u");
        c.Assert($"(unsigned int)TUNSETVNETHDRSZ == {TunCalls.TUNSETVNETHDRSZ}u");
        c.Assert($"IFNAMSIZ == {TunCalls.IFNAMSIZ}");
        c.Assert($"sizeof(struct ifreq) == {sizeof(TunCalls.InterfaceRequest)}");
        c.Assert($"offsetof(struct ifreq, ifr_name) == {Marshal.OffsetOf<TunCalls.InterfaceRequest>(nameof(TunCalls.InterfaceRequest.ifr_name))}");
        c.Assert($"offsetof(struct ifreq, ifr_flags) == {Marshal.OffsetOf<TunCalls.InterfaceRequest>(nameof(TunCalls.InterfaceRequest.ifr_flags))}");
        c.Assert($"sizeof(((struct ifreq *)0)->ifr_flags) == {sizeof(short)}");
        (string Name, long Value)[] constants =
        [
            ("IFF_TUN", (long)TunFlags.Tun), ("IFF_TAP", (long)TunFlags.Tap), ("IFF_NO_PI", (long)TunFlags.NoPacketInfo),
            ("IFF_VNET_HDR", (long)TunFlags.VnetHeader), ("IFF_MULTI_QUEUE", (long)TunFlags.MultiQueue),
            ("IFF_TUN_EXCL", unchecked((long)(ushort)TunFlags.Exclusive)),
            ("TUN_F_CSUM", (long)TunOffloads.Checksum), ("TUN_F_TSO4", (long)TunOffloads.Tso4),
            ("TUN_F_TSO6", (long)TunOffloads.Tso6), ("TUN_F_TSO_ECN", (long)TunOffloads.TsoEcn),
        ];
        foreach (var (name, value) in constants)
        {
            c.Assert($"{name} == {value}");
        }
        c.Compile();
    }
}
