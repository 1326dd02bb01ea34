using System.Net;
using System.Net.NetworkInformation;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>RTM_*NEIGH requests and replies (ndmsg + NDA_* attributes), IPv4 (ARP) and IPv6 (NDP) only.</summary>
internal static class NeighbourMessages
{
    public static NetlinkMessageWriter Dump() =>
        new NetlinkMessageWriter(RTM_GETNEIGH, NLM_F_DUMP).Header(new ndmsg { ndm_family = AF_UNSPEC });

    /// <summary>RTM_NEWNEIGH with create + replace: the entry ends up as given whether or not one existed.</summary>
    public static NetlinkMessageWriter Replace(NeighbourInfo neighbour)
    {
        var writer = new NetlinkMessageWriter(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE).Header(new ndmsg
        {
            ndm_family = (byte)AddressMessages.Family(neighbour.Address),
            ndm_ifindex = LinkMessages.CheckIndex(neighbour.LinkIndex),
            ndm_state = (ushort)(neighbour.State == NeighbourState.None ? NeighbourState.Permanent : neighbour.State),
        }).Attribute(NDA_DST, neighbour.Address.GetAddressBytes());
        if (neighbour.LinkAddress is not null)
        {
            writer.Attribute(NDA_LLADDR, neighbour.LinkAddress.GetAddressBytes());
        }
        return writer;
    }

    /// <summary>An ARP/NDP entry; bridge FDB entries (AF_BRIDGE, also in an AF_UNSPEC dump) and entries without
    /// a destination give null.</summary>
    public static NeighbourInfo? Parse(NetlinkMessage message)
    {
        ndmsg header = message.Header<ndmsg>();
        if (header.ndm_family is not (AF_INET or AF_INET6))
        {
            return null;
        }
        IPAddress? destination = null;
        PhysicalAddress? link = null;
        foreach (NetlinkAttribute attribute in message.Attributes<ndmsg>())
        {
            switch (attribute.Type)
            {
                case NDA_DST:
                    destination = AddressMessages.ReadAddress(attribute.Payload, header.ndm_family);
                    break;
                case NDA_LLADDR when attribute.Payload.Length is > 0 and <= 32:
                    link = new PhysicalAddress(attribute.Payload.ToArray());
                    break;
            }
        }
        return destination is null ? null : new NeighbourInfo(header.ndm_ifindex, destination, link, (NeighbourState)header.ndm_state);
    }
}
