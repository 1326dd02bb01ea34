using System.Net;
using System.Net.Sockets;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>RTM_*ROUTE requests and replies (rtmsg + RTA_* attributes), main table only.</summary>
internal static class RouteMessages
{
    public static NetlinkMessageWriter Dump(AddressFamily family) =>
        new NetlinkMessageWriter(RTM_GETROUTE, NLM_F_DUMP).Header(new rtmsg { rtm_family = (byte)AddressMessages.Family(family) });

    /// <summary>RTM_NEWROUTE (exclusive) in the main table.</summary>
    public static NetlinkMessageWriter New(RouteInfo route) => Build(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route);

    public static NetlinkMessageWriter Delete(RouteInfo route) => Build(RTM_DELROUTE, 0, route);

    private static NetlinkMessageWriter Build(int type, int flags, RouteInfo route)
    {
        int family = AddressMessages.Family(route.Family);
        if (family == AF_UNSPEC)
        {
            throw new ArgumentException("a route needs an address family (IPv4 or IPv6)", nameof(route));
        }
        int maxPrefix = family == AF_INET ? 32 : 128;
        if (route.DestinationPrefix < 0 || route.DestinationPrefix > maxPrefix)
        {
            throw new ArgumentOutOfRangeException(nameof(route), route.DestinationPrefix, $"route prefix must be 0..{maxPrefix}");
        }
        if (route.DestinationPrefix > 0 && route.Destination is null)
        {
            throw new ArgumentException($"route with prefix /{route.DestinationPrefix} has no destination", nameof(route));
        }
        var writer = new NetlinkMessageWriter(type, flags).Header(new rtmsg
        {
            rtm_family = (byte)family,
            rtm_dst_len = (byte)route.DestinationPrefix,
            rtm_table = RT_TABLE_MAIN,
            rtm_protocol = (byte)route.Protocol,
            rtm_scope = (byte)route.Scope,
            rtm_type = (byte)route.Type,
        });
        if (route.Destination is not null && route.DestinationPrefix > 0)
        {
            writer.Attribute(RTA_DST, Bytes(route.Destination, family, "destination"));
        }
        if (route.Gateway is not null)
        {
            writer.Attribute(RTA_GATEWAY, Bytes(route.Gateway, family, "gateway"));
        }
        if (route.PreferredSource is not null)
        {
            writer.Attribute(RTA_PREFSRC, Bytes(route.PreferredSource, family, "source"));
        }
        if (route.Metric != 0)
        {
            writer.AttributeU32(RTA_PRIORITY, (uint)route.Metric);
        }
        if (route.OutputIndex != 0)
        {
            writer.AttributeU32(RTA_OIF, (uint)LinkMessages.CheckIndex(route.OutputIndex));
        }
        return writer;
    }

    /// <summary>A route of the main table; other tables (local, the IPv6 multicast routes...) give null.</summary>
    public static RouteInfo? Parse(NetlinkMessage message)
    {
        rtmsg header = message.Header<rtmsg>();
        if (header.rtm_family is not (AF_INET or AF_INET6))
        {
            return null;
        }
        uint table = header.rtm_table;
        IPAddress? destination = null;
        IPAddress? gateway = null;
        IPAddress? source = null;
        int oif = 0;
        int metric = 0;
        foreach (NetlinkAttribute attribute in message.Attributes<rtmsg>())
        {
            switch (attribute.Type)
            {
                case RTA_TABLE:
                    table = attribute.U32;
                    break;
                case RTA_DST:
                    destination = AddressMessages.ReadAddress(attribute.Payload, header.rtm_family);
                    break;
                case RTA_GATEWAY:
                    gateway = AddressMessages.ReadAddress(attribute.Payload, header.rtm_family);
                    break;
                case RTA_PREFSRC:
                    source = AddressMessages.ReadAddress(attribute.Payload, header.rtm_family);
                    break;
                case RTA_OIF:
                    oif = (int)Math.Min(attribute.U32, int.MaxValue);
                    break;
                case RTA_PRIORITY:
                    metric = (int)Math.Min(attribute.U32, int.MaxValue);
                    break;
            }
        }
        if (table != RT_TABLE_MAIN)
        {
            return null;
        }
        var family = header.rtm_family == AF_INET ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        return new RouteInfo(family, destination, header.rtm_dst_len, gateway, oif)
        {
            Scope = (RouteScope)header.rtm_scope,
            Metric = metric,
            PreferredSource = source,
            Protocol = (RouteProtocol)header.rtm_protocol,
            Type = (RouteType)header.rtm_type,
        };
    }

    private static byte[] Bytes(IPAddress address, int family, string what) =>
        AddressMessages.Family(address) == family ? address.GetAddressBytes()
            : throw new ArgumentException($"route {what} {address} is not of the route's family", nameof(address));
}
