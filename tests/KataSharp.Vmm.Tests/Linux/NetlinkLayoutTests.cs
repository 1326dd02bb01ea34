using KataSharp.Linux.Netlink.Interop;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// The netlink, rtnetlink, tc and tun structs and numbers of KataSharp.Linux, checked field by field and
/// constant by constant against the kernel's uapi headers (see <see cref="CHeaderAssertions"/>).
/// </summary>
public sealed class NetlinkLayoutTests
{
    private static readonly string[] NetlinkHeaders =
    [
        "sys/socket.h", "linux/netlink.h", "linux/rtnetlink.h", "linux/if_link.h", "linux/if_addr.h", "linux/neighbour.h",
        "linux/pkt_sched.h", "linux/pkt_cls.h", "linux/tc_act/tc_mirred.h", "linux/if_ether.h", "linux/if.h", "linux/veth.h",
    ];

    [Fact]
    public void Netlink_structs_match_the_kernel_headers()
    {
        var c = new CHeaderAssertions(NetlinkHeaders);
        foreach (Type type in new[]
        {
            typeof(sockaddr_nl), typeof(nlmsghdr), typeof(nlmsgerr), typeof(rtattr), typeof(ifinfomsg), typeof(ifaddrmsg),
            typeof(rtmsg), typeof(ndmsg), typeof(tcmsg), typeof(tc_u32_sel), typeof(tc_u32_key), typeof(tc_mirred),
        })
        {
            c.Struct(type);
        }
        c.Compile();
    }

    [Fact]
    public void Netlink_constants_match_the_kernel_headers()
    {
        var c = new CHeaderAssertions(NetlinkHeaders);
        c.Constants(typeof(NetlinkConstants));
        c.Compile();
    }
}
