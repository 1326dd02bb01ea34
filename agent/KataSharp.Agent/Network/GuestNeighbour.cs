using System.Net;
using System.Net.NetworkInformation;

namespace KataSharp.Agent.Network;

/// <summary>A permanent neighbour entry on guest interface <see cref="Device"/>.</summary>
public sealed record GuestNeighbour(IPAddress Address, PhysicalAddress Mac, string Device);
