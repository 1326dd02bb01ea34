#pragma warning disable IDE1006 // C names on purpose: the layout test checks each against the headers

namespace KataSharp.Linux.Netlink.Interop;

/// <summary>
/// Netlink, rtnetlink and tc numbers with their uapi names. tests/KataSharp.Vmm.Tests/Linux/NetlinkLayoutTests
/// compiles a _Static_assert per field against the kernel headers, so a typo cannot survive.
/// </summary>
internal static class NetlinkConstants
{
    // sys/socket.h, linux/netlink.h
    public const int AF_UNSPEC = 0;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int AF_NETLINK = 16;
    public const int NETLINK_ROUTE = 0;
    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;

    public const int NLMSG_ALIGNTO = 4;
    public const int NLA_ALIGNTO = 4;
    public const int NLMSG_NOOP = 1;
    public const int NLMSG_ERROR = 2;
    public const int NLMSG_DONE = 3;
    public const int NLMSG_OVERRUN = 4;

    public const int NLM_F_REQUEST = 0x01;
    public const int NLM_F_MULTI = 0x02;
    public const int NLM_F_ACK = 0x04;
    public const int NLM_F_DUMP_INTR = 0x10;
    public const int NLM_F_ROOT = 0x100;
    public const int NLM_F_MATCH = 0x200;
    public const int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    public const int NLM_F_REPLACE = 0x100;
    public const int NLM_F_EXCL = 0x200;
    public const int NLM_F_CREATE = 0x400;
    public const int NLM_F_CAPPED = 0x100;
    public const int NLM_F_ACK_TLVS = 0x200;

    public const int NLMSGERR_ATTR_MSG = 1;
    public const int NLA_F_NESTED = 1 << 15;
    public const int NLA_F_NET_BYTEORDER = 1 << 14;
    public const int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

    // linux/rtnetlink.h: message types
    public const int RTM_NEWLINK = 16;
    public const int RTM_DELLINK = 17;
    public const int RTM_GETLINK = 18;
    public const int RTM_NEWADDR = 20;
    public const int RTM_DELADDR = 21;
    public const int RTM_GETADDR = 22;
    public const int RTM_NEWROUTE = 24;
    public const int RTM_DELROUTE = 25;
    public const int RTM_GETROUTE = 26;
    public const int RTM_NEWNEIGH = 28;
    public const int RTM_DELNEIGH = 29;
    public const int RTM_GETNEIGH = 30;
    public const int RTM_NEWQDISC = 36;
    public const int RTM_DELQDISC = 37;
    public const int RTM_GETQDISC = 38;
    public const int RTM_NEWTFILTER = 44;
    public const int RTM_DELTFILTER = 45;
    public const int RTM_GETTFILTER = 46;

    // linux/if_link.h, linux/veth.h
    public const int IFLA_ADDRESS = 1;
    public const int IFLA_IFNAME = 3;
    public const int IFLA_MTU = 4;
    public const int IFLA_LINK = 5;
    public const int IFLA_LINKINFO = 18;
    public const int IFLA_NET_NS_FD = 28;
    public const int IFLA_INFO_KIND = 1;
    public const int IFLA_INFO_DATA = 2;
    public const int VETH_INFO_PEER = 1;

    // linux/if.h (interface flags)
    public const int IFF_UP = 0x1;

    // linux/if_addr.h
    public const int IFA_ADDRESS = 1;
    public const int IFA_LOCAL = 2;
    public const int IFA_BROADCAST = 4;
    public const int IFA_FLAGS = 8;
    public const int IFA_F_NODAD = 0x02;

    // linux/rtnetlink.h: routes
    public const int RTA_DST = 1;
    public const int RTA_OIF = 4;
    public const int RTA_GATEWAY = 5;
    public const int RTA_PRIORITY = 6;
    public const int RTA_PREFSRC = 7;
    public const int RTA_TABLE = 15;
    public const int RT_TABLE_MAIN = 254;
    public const int RTN_UNICAST = 1;
    public const int RTPROT_BOOT = 3;

    // linux/neighbour.h
    public const int NDA_DST = 1;
    public const int NDA_LLADDR = 2;
    public const int NUD_PERMANENT = 0x80;

    // linux/rtnetlink.h, pkt_sched.h: traffic control
    public const int TCA_KIND = 1;
    public const int TCA_OPTIONS = 2;
    public const uint TC_H_INGRESS = 0xFFFFFFF1;

    // linux/pkt_cls.h: u32 classifier and actions
    public const int TCA_U32_SEL = 5;
    public const int TCA_U32_ACT = 7;
    public const int TC_U32_TERMINAL = 1;
    public const int TCA_ACT_KIND = 1;
    public const int TCA_ACT_OPTIONS = 2;
    public const int TC_ACT_STOLEN = 4;

    // linux/tc_act/tc_mirred.h
    public const int TCA_MIRRED_PARMS = 2;
    public const int TCA_EGRESS_REDIR = 1;

    // linux/if_ether.h
    public const int ETH_P_ALL = 0x0003;
}
