using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Linux.Netlink;
using KataSharp.Tests.Shared.Network;

namespace KataSharp.Runtime.Tests.Network.Support;

/// <summary>
/// What the CNI bridge plugin leaves for a pod, without the bridge: the pod's namespace with veth eth0
/// (10.200.0.2/24, MTU 1400, up, default route via 10.200.0.1, a permanent neighbour) whose peer (peer0,
/// 10.200.0.1/24, up) sits in a second namespace that plays the host/bridge side.
/// </summary>
public sealed class PodNetworkFixture : IDisposable
{
    public static readonly IPAddress PodAddress = IPAddress.Parse("10.200.0.2");
    public static readonly IPAddress PeerAddress = IPAddress.Parse("10.200.0.1");
    public static readonly IPAddress StaticNeighbour = IPAddress.Parse("10.200.0.9");
    public static readonly PhysicalAddress StaticNeighbourMac = PhysicalAddress.Parse("02-00-00-00-00-09");
    public const int Mtu = 1400;

    public PodNetworkFixture()
    {
        Pod = new ScratchNamespace();
        Peer = new ScratchNamespace();
        try
        {
            Pod.Netlink.AddVethPair("eth0", "peer0", Peer.Namespace);
            LinkInfo eth0 = Pod.Link("eth0");
            Pod.Netlink.SetMtu(eth0.Index, Mtu);
            Pod.Netlink.AddAddress(new AddressInfo(eth0.Index, PodAddress, 24));
            Pod.Netlink.SetLinkUp(eth0.Index, true);
            Pod.Netlink.AddRoute(new RouteInfo(AddressFamily.InterNetwork, null, 0, PeerAddress, eth0.Index));
            Pod.Netlink.ReplaceNeighbour(new NeighbourInfo(eth0.Index, StaticNeighbour, StaticNeighbourMac, NeighbourState.Permanent));
            LinkInfo peer0 = Peer.Link("peer0");
            Peer.Netlink.SetMtu(peer0.Index, Mtu);
            Peer.Netlink.AddAddress(new AddressInfo(peer0.Index, PeerAddress, 24));
            Peer.Netlink.SetLinkUp(peer0.Index, true);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ScratchNamespace Pod { get; }

    public ScratchNamespace Peer { get; }

    public void Dispose()
    {
        Pod.Dispose();
        Peer.Dispose();
    }
}
