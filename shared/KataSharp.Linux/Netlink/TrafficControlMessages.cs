using System.Buffers.Binary;
using KataSharp.Linux.Netlink.Interop;
using static KataSharp.Linux.Netlink.Interop.NetlinkConstants;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// tc over rtnetlink: the ingress qdisc and a match-all u32 filter on it whose mirred action redirects every
/// frame to another interface's egress — what `tc qdisc add dev A ingress` and `tc filter add dev A parent ffff:
/// protocol all prio P u32 match u8 0 0 action mirred egress redirect dev B` send.
/// </summary>
internal static class TrafficControlMessages
{
    public const string IngressKind = "ingress";
    public const string U32Kind = "u32";
    public const string MirredKind = "mirred";

    public static NetlinkMessageWriter NewIngressQdisc(int index) =>
        new NetlinkMessageWriter(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL).Header(IngressQdiscHeader(index)).AttributeString(TCA_KIND, IngressKind);

    public static NetlinkMessageWriter DeleteIngressQdisc(int index) =>
        new NetlinkMessageWriter(RTM_DELQDISC, 0).Header(IngressQdiscHeader(index)).AttributeString(TCA_KIND, IngressKind);

    public static NetlinkMessageWriter DumpQdiscs() =>
        new NetlinkMessageWriter(RTM_GETQDISC, NLM_F_DUMP).Header(new tcmsg { tcm_family = AF_UNSPEC });

    /// <summary>A u32 filter on <paramref name="index"/>'s ingress that matches every frame (one key: mask 0, value 0,
    /// terminal) with one action: mirred egress redirect to <paramref name="targetIndex"/>, verdict STOLEN.</summary>
    public static NetlinkMessageWriter NewRedirectFilter(int index, int targetIndex, ushort priority)
    {
        LinkMessages.CheckIndex(targetIndex);
        var writer = new NetlinkMessageWriter(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL)
            .Header(FilterHeader(index, priority))
            .AttributeString(TCA_KIND, U32Kind);
        // Attribute order and nest flags as tc sends them (the unit test compares with tc's bytes).
        int options = writer.BeginNested(TCA_OPTIONS);
        int actions = writer.BeginNested(TCA_U32_ACT);
        int first = writer.BeginNested(1); // actions are numbered from 1, in order
        writer.AttributeString(TCA_ACT_KIND, MirredKind);
        int mirredOptions = writer.BeginNested(TCA_ACT_OPTIONS, flagged: true);
        writer.AttributeStruct(TCA_MIRRED_PARMS, new tc_mirred { action = TC_ACT_STOLEN, eaction = TCA_EGRESS_REDIR, ifindex = (uint)targetIndex });
        writer.EndNested(mirredOptions).EndNested(first).EndNested(actions);
        writer.Attribute(TCA_U32_SEL, MatchAllSelector());
        writer.EndNested(options);
        return writer;
    }

    /// <summary>Deletes the whole filter priority <paramref name="priority"/> (all its u32 nodes) on the ingress.</summary>
    public static NetlinkMessageWriter DeleteFilter(int index, ushort priority) =>
        new NetlinkMessageWriter(RTM_DELTFILTER, 0).Header(FilterHeader(index, priority)).AttributeString(TCA_KIND, U32Kind);

    public static NetlinkMessageWriter DumpIngressFilters(int index) =>
        new NetlinkMessageWriter(RTM_GETTFILTER, NLM_F_DUMP).Header(new tcmsg
        {
            tcm_family = AF_UNSPEC,
            tcm_ifindex = LinkMessages.CheckIndex(index),
            tcm_parent = TrafficControl.IngressHandle,
        });

    public static QdiscInfo? ParseQdisc(NetlinkMessage message)
    {
        tcmsg header = message.Header<tcmsg>();
        string? kind = null;
        foreach (NetlinkAttribute attribute in message.Attributes<tcmsg>())
        {
            if (attribute.Type == TCA_KIND)
            {
                kind = attribute.String;
            }
        }
        return kind is null ? null : new QdiscInfo(header.tcm_ifindex, kind, header.tcm_handle, header.tcm_parent);
    }

    public static FilterInfo? ParseFilter(NetlinkMessage message)
    {
        tcmsg header = message.Header<tcmsg>();
        string? kind = null;
        int? redirect = null;
        foreach (NetlinkAttribute attribute in message.Attributes<tcmsg>())
        {
            if (attribute.Type == TCA_KIND)
            {
                kind = attribute.String;
            }
            else if (attribute.Type == TCA_OPTIONS)
            {
                redirect = RedirectTarget(attribute.Nested);
            }
        }
        if (kind is null)
        {
            return null;
        }
        ushort priority = (ushort)(header.tcm_info >> 16);
        ushort protocol = BinaryPrimitives.ReverseEndianness((ushort)(header.tcm_info & 0xFFFF));
        return new FilterInfo(header.tcm_ifindex, kind, header.tcm_parent, header.tcm_handle, priority, protocol, redirect);
    }

    /// <summary>The ifindex of a mirred egress redirect among a u32 filter's actions, if any.</summary>
    private static int? RedirectTarget(NetlinkAttributes options)
    {
        foreach (NetlinkAttribute option in options)
        {
            if (option.Type != TCA_U32_ACT)
            {
                continue;
            }
            foreach (NetlinkAttribute action in option.Nested)
            {
                bool mirred = false;
                int? target = null;
                foreach (NetlinkAttribute part in action.Nested)
                {
                    if (part.Type == TCA_ACT_KIND)
                    {
                        mirred = part.String == MirredKind;
                    }
                    else if (part.Type == TCA_ACT_OPTIONS)
                    {
                        foreach (NetlinkAttribute parameter in part.Nested)
                        {
                            if (parameter.Type == TCA_MIRRED_PARMS)
                            {
                                tc_mirred parms = NetlinkMessage.ReadHeader<tc_mirred>(parameter.Payload);
                                if (parms.eaction == TCA_EGRESS_REDIR)
                                {
                                    target = (int)Math.Min(parms.ifindex, int.MaxValue);
                                }
                            }
                        }
                    }
                }
                if (mirred && target is not null)
                {
                    return target;
                }
            }
        }
        return null;
    }

    private static tcmsg IngressQdiscHeader(int index) => new()
    {
        tcm_family = AF_UNSPEC,
        tcm_ifindex = LinkMessages.CheckIndex(index),
        tcm_handle = TrafficControl.IngressHandle,
        tcm_parent = TrafficControl.IngressParent,
    };

    private static tcmsg FilterHeader(int index, ushort priority)
    {
        if (priority == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(priority), "a filter priority is 1..65535 (0 lets the kernel choose, which teardown could not find)");
        }
        return new tcmsg
        {
            tcm_family = AF_UNSPEC,
            tcm_ifindex = LinkMessages.CheckIndex(index),
            tcm_parent = TrafficControl.IngressHandle,
            // TC_H_MAKE(prio << 16, htons(protocol)): the protocol travels in network byte order.
            tcm_info = ((uint)priority << 16) | BinaryPrimitives.ReverseEndianness(TrafficControl.AllProtocols),
        };
    }

    /// <summary>tc_u32_sel (terminal, one key) followed by its one tc_u32_key: mask 0 matches any frame.</summary>
    private static byte[] MatchAllSelector()
    {
        byte[] bytes = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<tc_u32_sel>() + System.Runtime.CompilerServices.Unsafe.SizeOf<tc_u32_key>()];
        var selector = new tc_u32_sel { flags = TC_U32_TERMINAL, nkeys = 1 };
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in selector);
        // The key (mask 0, val 0, off 0, offmask 0) is the zeroed tail.
        return bytes;
    }
}
