using System.Net;
using System.Net.NetworkInformation;

namespace KataSharp.Linux.Netlink;

/// <summary>A neighbour (ARP / NDP) entry: IP address → link-layer address on an interface.</summary>
public sealed record NeighbourInfo(int LinkIndex, IPAddress Address, PhysicalAddress? LinkAddress, NeighbourState State);
