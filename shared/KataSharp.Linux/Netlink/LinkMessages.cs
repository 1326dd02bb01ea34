using System.Net.NetworkInformation;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>RTM_*LINK requests and the parse of their replies (ifinfomsg + IFLA_* attributes).</summary>
internal static class LinkMessages
{
    /// <summary>IFNAMSIZ (16) less the terminating NUL.</summary>
    public const int MaxNameLength = 15;

    public static NetlinkMessageWriter Dump() =>
        new NetlinkMessageWriter(RTM_GETLINK, NLM_F_DUMP).Header(new ifinfomsg { ifi_family = AF_UNSPEC });

    public static NetlinkMessageWriter GetByName(string name) =>
        new NetlinkMessageWriter(RTM_GETLINK, 0).Header(new ifinfomsg { ifi_family = AF_UNSPEC }).AttributeString(IFLA_IFNAME, CheckName(name));

    public static NetlinkMessageWriter GetByIndex(int index) =>
        new NetlinkMessageWriter(RTM_GETLINK, 0).Header(new ifinfomsg { ifi_family = AF_UNSPEC, ifi_index = CheckIndex(index) });

    /// <summary>RTM_NEWLINK on an existing link (no NLM_F_CREATE; what `ip link set` sends): the flags under
    /// <paramref name="change"/> become <paramref name="flags"/>; MTU, MAC and name are set when given.</summary>
    public static NetlinkMessageWriter Set(int index, LinkFlags flags, LinkFlags change, int? mtu = null, PhysicalAddress? address = null, string? name = null)
    {
        var writer = new NetlinkMessageWriter(RTM_NEWLINK, 0)
            .Header(new ifinfomsg { ifi_family = AF_UNSPEC, ifi_index = CheckIndex(index), ifi_flags = (uint)flags, ifi_change = (uint)change });
        if (mtu is int m)
        {
            if (m is < 68 or > 65535)
            {
                throw new ArgumentOutOfRangeException(nameof(mtu), m, "an MTU is 68..65535 bytes");
            }
            writer.AttributeU32(IFLA_MTU, (uint)m);
        }
        if (address is not null)
        {
            byte[] bytes = address.GetAddressBytes();
            if (bytes.Length != 6)
            {
                throw new ArgumentException($"'{address}' is not a 6-byte Ethernet address", nameof(address));
            }
            writer.Attribute(IFLA_ADDRESS, bytes);
        }
        if (name is not null)
        {
            writer.AttributeString(IFLA_IFNAME, CheckName(name));
        }
        return writer;
    }

    /// <summary>RTM_NEWLINK of a veth pair (what CNI plugins make); the peer is moved into the namespace of
    /// <paramref name="peerNamespaceFd"/> when given.</summary>
    public static NetlinkMessageWriter NewVethPair(string name, string peerName, int? peerNamespaceFd)
    {
        var writer = new NetlinkMessageWriter(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
            .Header(new ifinfomsg { ifi_family = AF_UNSPEC })
            .AttributeString(IFLA_IFNAME, CheckName(name));
        int linkInfo = writer.BeginNested(IFLA_LINKINFO);
        writer.AttributeString(IFLA_INFO_KIND, "veth");
        int data = writer.BeginNested(IFLA_INFO_DATA);
        int peer = writer.BeginNested(VETH_INFO_PEER);
        // VETH_INFO_PEER's payload is a whole link request: an ifinfomsg, then the peer's own attributes.
        writer.Header(new ifinfomsg { ifi_family = AF_UNSPEC }).AttributeString(IFLA_IFNAME, CheckName(peerName));
        if (peerNamespaceFd is int fd)
        {
            writer.AttributeU32(IFLA_NET_NS_FD, (uint)fd);
        }
        return writer.EndNested(peer).EndNested(data).EndNested(linkInfo);
    }

    public static NetlinkMessageWriter Delete(int index) =>
        new NetlinkMessageWriter(RTM_DELLINK, 0).Header(new ifinfomsg { ifi_family = AF_UNSPEC, ifi_index = CheckIndex(index) });

    public static LinkInfo? Parse(NetlinkMessage message)
    {
        ifinfomsg header = message.Header<ifinfomsg>();
        string? name = null;
        string? kind = null;
        PhysicalAddress? address = null;
        int mtu = 0;
        int peer = 0;
        foreach (NetlinkAttribute attribute in message.Attributes<ifinfomsg>())
        {
            switch (attribute.Type)
            {
                case IFLA_IFNAME:
                    name = attribute.String;
                    break;
                case IFLA_MTU:
                    mtu = (int)Math.Min(attribute.U32, int.MaxValue);
                    break;
                case IFLA_ADDRESS when attribute.Payload.Length is > 0 and <= 32:
                    address = new PhysicalAddress(attribute.Payload.ToArray());
                    break;
                case IFLA_LINK:
                    peer = (int)Math.Min(attribute.U32, int.MaxValue);
                    break;
                case IFLA_LINKINFO:
                    foreach (NetlinkAttribute info in attribute.Nested)
                    {
                        if (info.Type == IFLA_INFO_KIND)
                        {
                            kind = info.String;
                        }
                    }
                    break;
            }
        }
        if (name is null)
        {
            throw new InvalidDataException($"link #{header.ifi_index} has no IFLA_IFNAME");
        }
        return new LinkInfo(header.ifi_index, name, kind, address, mtu, (LinkFlags)header.ifi_flags) { PeerIndex = peer };
    }

    /// <summary>A Linux interface name: 1-15 bytes, no '/', ':' or whitespace (dev_valid_name).</summary>
    public static string CheckName(string name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not an interface name (1-{MaxNameLength} characters, no '/', ':' or whitespace, not '.' or '..')", nameof(name));
        }
        return name;
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameLength && name != "." && name != ".." &&
        System.Text.Encoding.UTF8.GetByteCount(name) <= MaxNameLength &&
        !name.Any(c => c == '/' || c == ':' || c == '\0' || char.IsWhiteSpace(c) || char.IsControl(c));

    public static int CheckIndex(int index) =>
        index > 0 ? index : throw new ArgumentOutOfRangeException(nameof(index), index, "an interface index is positive");
}
