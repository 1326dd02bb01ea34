using System.Net;
using System.Net.Sockets;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>RTM_*ADDR requests and replies (ifaddrmsg + IFA_* attributes), IPv4 and IPv6.</summary>
internal static class AddressMessages
{
    public static NetlinkMessageWriter Dump() =>
        new NetlinkMessageWriter(RTM_GETADDR, NLM_F_DUMP).Header(new ifaddrmsg { ifa_family = AF_UNSPEC });

    /// <summary>RTM_NEWADDR (exclusive). IPv4 gets the subnet's broadcast address as `ip addr add … brd +` would;
    /// <paramref name="skipDuplicateDetection"/> sets IFA_F_NODAD (IPv6 only).</summary>
    public static NetlinkMessageWriter New(AddressInfo address, bool skipDuplicateDetection = false)
    {
        byte[] bytes = Bytes(address);
        bool v6 = address.Address.AddressFamily == AddressFamily.InterNetworkV6;
        var writer = new NetlinkMessageWriter(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL).Header(new ifaddrmsg
        {
            ifa_family = (byte)Family(address.Address),
            ifa_prefixlen = (byte)address.PrefixLength,
            ifa_flags = (byte)(v6 && skipDuplicateDetection ? IFA_F_NODAD : 0),
            ifa_scope = (byte)address.Scope,
            ifa_index = (uint)LinkMessages.CheckIndex(address.LinkIndex),
        });
        writer.Attribute(IFA_LOCAL, bytes).Attribute(IFA_ADDRESS, bytes);
        if (!v6 && address.PrefixLength < 31)
        {
            uint host = address.PrefixLength == 0 ? uint.MaxValue : uint.MaxValue >> address.PrefixLength;
            uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) | host;
            byte[] broadcast = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(broadcast, value);
            writer.Attribute(IFA_BROADCAST, broadcast);
        }
        return writer;
    }

    public static NetlinkMessageWriter Delete(AddressInfo address)
    {
        byte[] bytes = Bytes(address);
        return new NetlinkMessageWriter(RTM_DELADDR, 0).Header(new ifaddrmsg
        {
            ifa_family = (byte)Family(address.Address),
            ifa_prefixlen = (byte)address.PrefixLength,
            ifa_index = (uint)LinkMessages.CheckIndex(address.LinkIndex),
        }).Attribute(IFA_LOCAL, bytes).Attribute(IFA_ADDRESS, bytes);
    }

    public static AddressInfo? Parse(NetlinkMessage message)
    {
        ifaddrmsg header = message.Header<ifaddrmsg>();
        if (header.ifa_family is not (AF_INET or AF_INET6))
        {
            return null;
        }
        IPAddress? local = null;
        IPAddress? address = null;
        foreach (NetlinkAttribute attribute in message.Attributes<ifaddrmsg>())
        {
            switch (attribute.Type)
            {
                case IFA_LOCAL:
                    local = ReadAddress(attribute.Payload, header.ifa_family);
                    break;
                case IFA_ADDRESS:
                    address = ReadAddress(attribute.Payload, header.ifa_family);
                    break;
            }
        }
        // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours whenever it is present.
        IPAddress ip = local ?? address ?? throw new InvalidDataException($"address message for ifindex {header.ifa_index} carries no address");
        return new AddressInfo((int)header.ifa_index, ip, header.ifa_prefixlen) { Scope = (RouteScope)header.ifa_scope };
    }

    public static int Family(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        _ => throw new ArgumentException($"{address} is neither IPv4 nor IPv6", nameof(address)),
    };

    public static int Family(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        AddressFamily.Unspecified => AF_UNSPEC,
        _ => throw new ArgumentException($"{family} is neither IPv4 nor IPv6", nameof(family)),
    };

    public static int MaxPrefix(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;

    /// <summary>An address of the expected family from an attribute (4 or 16 bytes).</summary>
    public static IPAddress ReadAddress(ReadOnlySpan<byte> payload, int family)
    {
        int expected = family == AF_INET ? 4 : 16;
        if (payload.Length != expected)
        {
            throw new InvalidDataException($"an address of family {family} has {payload.Length} bytes, not {expected}");
        }
        return new IPAddress(payload);
    }

    private static byte[] Bytes(AddressInfo address)
    {
        Family(address.Address);
        if (address.PrefixLength < 0 || address.PrefixLength > MaxPrefix(address.Address))
        {
            throw new ArgumentOutOfRangeException(nameof(address), address.PrefixLength, $"prefix length of {address.Address} must be 0..{MaxPrefix(address.Address)}");
        }
        return address.Address.GetAddressBytes();
    }
}
