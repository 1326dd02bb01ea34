using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Linux.Netlink;
using KataSharp.Vmm.Tests.Virtio.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// The rtnetlink encoder against the bytes iproute2 (6.1) sends for the same command — captured with
/// <c>strace -xx -e sendmsg ip|tc …</c> on a veth a0 of ifindex 3 (peer b0 = 2) — and the decoder against
/// well-formed, malformed and random input. Sequence numbers and NLM_F_ACK (which the socket adds) are
/// normalised away before comparing.
/// </summary>
public sealed class NetlinkMessageTests
{
    public static TheoryData<string, string> Requests => new()
    {
        {
            "tc qdisc add dev a0 ingress",
            "30000000 2400 0106 00000000 00000000 00000000 03000000 0000ffff f1ffffff 00000000 0c000100 696e6772 65737300"
        },
        {
            "tc filter add dev a0 parent ffff: protocol all prio 1 u32 match u8 0 0 action mirred egress redirect dev b0",
            "8c000000 2c00 0106 00000000 00000000 00000000 03000000 00000000 0000ffff 00030100 08000100 75333200 60000200" +
            "38000700 34000100 0b000100 6d697272 65640000 24000280 20000200 00000000 00000000 04000000 00000000 00000000" +
            "01000000 02000000 24000500 01000100 00000000 00000000 00000000 00000000 00000000 00000000 00000000"
        },
        {
            "ip link set a0 mtu 1400",
            "28000000 1000 0100 00000000 00000000 00000000 03000000 00000000 00000000 08000400 78050000"
        },
        {
            "ip link set a0 up",
            "20000000 1000 0100 00000000 00000000 00000000 03000000 01000000 01000000"
        },
        {
            "ip link set a0 name eth7",
            "2c000000 1000 0100 00000000 00000000 00000000 03000000 00000000 00000000 09000300 65746837 00000000"
        },
        {
            "ip link set a0 address 02:11:22:33:44:55",
            "2c000000 1000 0100 00000000 00000000 00000000 03000000 00000000 00000000 0a000100 02112233 44550000"
        },
        {
            "ip link del a0",
            "20000000 1100 0100 00000000 00000000 00000000 03000000 00000000 00000000"
        },
        {
            "ip addr add 10.200.0.2/24 broadcast + dev a0",
            "30000000 1400 0106 00000000 00000000 02180000 03000000 08000200 0ac80002 08000100 0ac80002 08000400 0ac800ff"
        },
        {
            "ip -6 addr add fd00::2/64 dev a0 nodad",
            "40000000 1400 0106 00000000 00000000 0a400200 03000000 14000200 fd000000 00000000 00000000 00000002" +
            "14000100 fd000000 00000000 00000000 00000002"
        },
        {
            "ip route add 10.1.0.0/16 via 10.200.0.1 dev a0 metric 5",
            "3c000000 1800 0106 00000000 00000000 02100000 fe030001 00000000 08000100 0a010000 08000500 0ac80001" +
            "08000600 05000000 08000400 03000000"
        },
        {
            "ip neigh replace 10.200.0.9 lladdr 02:00:00:00:00:09 dev a0 nud permanent",
            "30000000 1c00 0105 00000000 00000000 02000000 03000000 80000000 08000100 0ac80009 0a000200 02000000 00090000"
        },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Requests_are_byte_for_byte_what_iproute2_sends(string command, string iproute2)
    {
        byte[] expected = Convert.FromHexString(iproute2.Replace(" ", ""));
        expected[6] &= unchecked((byte)~0x04); // NLM_F_ACK is added when the socket sends it
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Encode(command).ToArray(0)));
    }

    [Fact]
    public void A_tc_filter_message_decodes_to_its_priority_protocol_and_redirect_target()
    {
        byte[] message = Encode("tc filter add dev a0 parent ffff: protocol all prio 1 u32 match u8 0 0 action mirred egress redirect dev b0").ToArray(0);
        FilterInfo filter = Assert.Single(Decode(message, TrafficControlMessages.ParseFilter));
        Assert.Equal(new FilterInfo(3, "u32", TrafficControl.IngressHandle, 0, 1, TrafficControl.AllProtocols, 2), filter);
    }

    [Fact]
    public void Address_route_neighbour_and_link_messages_decode_to_what_was_encoded()
    {
        Assert.Equal(new AddressInfo(3, IPAddress.Parse("10.200.0.2"), 24), Assert.Single(Decode(Encode("ip addr add 10.200.0.2/24 broadcast + dev a0").ToArray(0), AddressMessages.Parse)));
        RouteInfo route = Assert.Single(Decode(Encode("ip route add 10.1.0.0/16 via 10.200.0.1 dev a0 metric 5").ToArray(0), RouteMessages.Parse));
        Assert.Equal(new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("10.1.0.0"), 16, IPAddress.Parse("10.200.0.1"), 3) { Metric = 5 }, route);
        NeighbourInfo neighbour = Assert.Single(Decode(Encode("ip neigh replace 10.200.0.9 lladdr 02:00:00:00:00:09 dev a0 nud permanent").ToArray(0), NeighbourMessages.Parse));
        Assert.Equal(new NeighbourInfo(3, IPAddress.Parse("10.200.0.9"), PhysicalAddress.Parse("02-00-00-00-00-09"), NeighbourState.Permanent), neighbour);

        byte[] veth = LinkMessages.NewVethPair("a0", "b0", null).ToArray(0);
        LinkInfo link = Assert.Single(Decode(veth, LinkMessages.Parse));
        Assert.Equal(("a0", "veth"), (link.Name, link.Kind));
    }

    [Fact]
    public void Nests_get_their_length_and_attributes_are_padded_to_four_bytes()
    {
        var writer = new NetlinkMessageWriter(18, 0);
        int nest = writer.BeginNested(7);
        writer.AttributeString(1, "abcd"); // 4 + 5 bytes, padded to 12
        writer.EndNested(nest);
        byte[] bytes = writer.ToArray(9);
        Assert.Equal("20000000 1200 0100 09000000 00000000 10000700 09000100 61626364 00000000".Replace(" ", ""), Convert.ToHexString(bytes));
    }

    [Fact]
    public void A_request_cannot_grow_past_its_bound()
    {
        var writer = new NetlinkMessageWriter(18, 0);
        Assert.Throws<InvalidOperationException>(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                writer.Attribute(1, new byte[1000]);
            }
        });
        Assert.Throws<ArgumentException>(() => LinkMessages.Set(3, LinkFlags.None, LinkFlags.None, name: "sixteen-chars-xx"));
        Assert.Throws<ArgumentException>(() => LinkMessages.Set(3, LinkFlags.None, LinkFlags.None, name: "a/b"));
    }

    [Theory]
    [InlineData("40000000 1000 0000 00000000 00000000", "claims 64 bytes, 16 are left")]   // nlmsg_len past the datagram
    [InlineData("08000000 1000 0000 00000000 00000000", "claims 8 bytes")]                 // nlmsg_len below the header
    [InlineData("10000000 10", "shorter than a message header")]
    [InlineData("10000000 1000 0000 00000000 00000000 40000000 1000 0000 00000000 00000000", "claims 64 bytes, 16 are left")] // the second one lies
    public void Message_lengths_are_checked_against_the_datagram(string hex, string error)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", ""));
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (NetlinkMessage message in new NetlinkMessages(bytes))
            {
                _ = message.Payload.Length;
            }
        });
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public void An_attribute_that_fills_the_payload_exactly_is_read()
    {
        byte[] bytes = Convert.FromHexString("0a000300616263646566");
        int count = 0;
        foreach (NetlinkAttribute attribute in new NetlinkAttributes(bytes))
        {
            Assert.Equal(("abcdef", 3), (System.Text.Encoding.ASCII.GetString(attribute.Payload), attribute.Type));
            count++;
        }
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData("10000300 61626364", "claims 16 bytes, 8 are left")]
    [InlineData("02000300 61626364", "claims 2 bytes")]
    [InlineData("08000300 61626364 0102", "2 stray bytes")]
    public void Attribute_lengths_are_checked_against_the_payload(string hex, string error)
    {
        byte[] bytes = Convert.FromHexString(hex.Replace(" ", ""));
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (NetlinkAttribute attribute in new NetlinkAttributes(bytes))
            {
                _ = attribute.Payload.Length;
            }
        });
        Assert.Contains(error, e.Message);
    }

    [Fact]
    public void A_reply_shorter_than_its_family_header_is_malformed_not_read_past()
    {
        byte[] message = Convert.FromHexString("14000000 1000 0000 00000000 00000000 00000000".Replace(" ", "")); // 4 of ifinfomsg's 16 bytes
        Assert.Throws<InvalidDataException>(() => Decode(message, LinkMessages.Parse));
    }

    [Fact]
    public void Random_replies_never_read_out_of_bounds_or_fail_other_than_as_malformed()
    {
        byte[] template = Encode("tc filter add dev a0 parent ffff: protocol all prio 1 u32 match u8 0 0 action mirred egress redirect dev b0").ToArray(0);
        Seeds.Run(nameof(Random_replies_never_read_out_of_bounds_or_fail_other_than_as_malformed), 2000, seed =>
        {
            var random = new Random(seed);
            byte[] bytes = random.Next(3) == 0 ? new byte[random.Next(0, 200)] : (byte[])template.Clone();
            if (bytes.Length == template.Length)
            {
                for (int i = random.Next(1, 8); i > 0; i--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256); // corrupt a few bytes of a real message
                }
            }
            else
            {
                random.NextBytes(bytes);
            }
            try
            {
                foreach (NetlinkMessage message in new NetlinkMessages(bytes))
                {
                    foreach (Func<NetlinkMessage, object?> parse in new Func<NetlinkMessage, object?>[] { m => LinkMessages.Parse(m), m => AddressMessages.Parse(m),
                        m => RouteMessages.Parse(m), m => NeighbourMessages.Parse(m), m => TrafficControlMessages.ParseQdisc(m), m => TrafficControlMessages.ParseFilter(m) })
                    {
                        try
                        {
                            parse(message);
                        }
                        catch (InvalidDataException)
                        {
                        }
                    }
                }
            }
            catch (InvalidDataException)
            {
            }
        });
    }

    private static List<T> Decode<T>(byte[] datagram, Func<NetlinkMessage, T?> parse) where T : class
    {
        var results = new List<T>();
        foreach (NetlinkMessage message in new NetlinkMessages(datagram))
        {
            if (parse(message) is { } item)
            {
                results.Add(item);
            }
        }
        return results;
    }

    private static NetlinkMessageWriter Encode(string command) => command switch
    {
        "tc qdisc add dev a0 ingress" => TrafficControlMessages.NewIngressQdisc(3),
        "tc filter add dev a0 parent ffff: protocol all prio 1 u32 match u8 0 0 action mirred egress redirect dev b0" =>
            TrafficControlMessages.NewRedirectFilter(3, 2, 1),
        "ip link set a0 mtu 1400" => LinkMessages.Set(3, LinkFlags.None, LinkFlags.None, mtu: 1400),
        "ip link set a0 up" => LinkMessages.Set(3, LinkFlags.Up, LinkFlags.Up),
        "ip link set a0 name eth7" => LinkMessages.Set(3, LinkFlags.None, LinkFlags.None, name: "eth7"),
        "ip link set a0 address 02:11:22:33:44:55" => LinkMessages.Set(3, LinkFlags.None, LinkFlags.None, address: PhysicalAddress.Parse("02-11-22-33-44-55")),
        "ip link del a0" => LinkMessages.Delete(3),
        "ip addr add 10.200.0.2/24 broadcast + dev a0" => AddressMessages.New(new AddressInfo(3, IPAddress.Parse("10.200.0.2"), 24)),
        "ip -6 addr add fd00::2/64 dev a0 nodad" => AddressMessages.New(new AddressInfo(3, IPAddress.Parse("fd00::2"), 64), skipDuplicateDetection: true),
        "ip route add 10.1.0.0/16 via 10.200.0.1 dev a0 metric 5" =>
            RouteMessages.New(new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("10.1.0.0"), 16, IPAddress.Parse("10.200.0.1"), 3) { Metric = 5 }),
        "ip neigh replace 10.200.0.9 lladdr 02:00:00:00:00:09 dev a0 nud permanent" =>
            NeighbourMessages.Replace(new NeighbourInfo(3, IPAddress.Parse("10.200.0.9"), PhysicalAddress.Parse("02-00-00-00-00-09"), NeighbourState.Permanent)),
        _ => throw new ArgumentException(command),
    };
}
