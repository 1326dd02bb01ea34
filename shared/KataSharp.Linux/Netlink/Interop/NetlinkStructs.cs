using System.Runtime.InteropServices;

// The kernel's netlink/rtnetlink/tc structs, named and laid out as in the uapi headers
// (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h, neighbour.h, pkt_sched.h, pkt_cls.h,
// tc_act/tc_mirred.h). tests/KataSharp.Vmm.Tests/Linux/NetlinkLayoutTests compiles
// _Static_asserts of every field's offset and size against those headers.
#pragma warning disable IDE1006, CS8981 // C names on purpose: the layout test maps them to the headers

namespace KataSharp.Linux.Netlink.Interop;

[StructLayout(LayoutKind.Sequential)]
internal struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}

[StructLayout(LayoutKind.Sequential)]
internal struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}

[StructLayout(LayoutKind.Sequential)]
internal struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}

[StructLayout(LayoutKind.Sequential)]
internal struct rtattr
{
    public ushort rta_len;
    public ushort rta_type;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}

[StructLayout(LayoutKind.Sequential)]
internal struct rtmsg
{
    public byte rtm_family;
    public byte rtm_dst_len;
    public byte rtm_src_len;
    public byte rtm_tos;
    public byte rtm_table;
    public byte rtm_protocol;
    public byte rtm_scope;
    public byte rtm_type;
    public uint rtm_flags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ndmsg
{
    public byte ndm_family;
    public byte ndm_pad1;
    public ushort ndm_pad2;
    public int ndm_ifindex;
    public ushort ndm_state;
    public byte ndm_flags;
    public byte ndm_type;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tcmsg
{
    public byte tcm_family;
    public byte tcm__pad1;
    public ushort tcm__pad2;
    public int tcm_ifindex;
    public uint tcm_handle;
    public uint tcm_parent;
    public uint tcm_info;
}

/// <summary>u32 classifier selector header; <c>nkeys</c> <see cref="tc_u32_key"/>s follow it in TCA_U32_SEL.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tc_u32_sel
{
    public byte flags;
    public byte offshift;
    public byte nkeys;
    public ushort offmask;
    public ushort off;
    public short offoff;
    public short hoff;
    public uint hmask;
}

[StructLayout(LayoutKind.Sequential)]
internal struct tc_u32_key
{
    public uint mask;
    public uint val;
    public int off;
    public int offmask;
}

/// <summary>mirred action parameters: tc_gen (index, capab, action, refcnt, bindcnt) then eaction and ifindex.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct tc_mirred
{
    public uint index;
    public uint capab;
    public int action;
    public int refcnt;
    public int bindcnt;
    public int eaction;
    public uint ifindex;
}
