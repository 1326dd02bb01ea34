using System.Net;
using System.Net.NetworkInformation;

namespace KataSharp.Runtime.Network;

/// <summary>A static (permanent) neighbour entry of a pod interface: IP → MAC.</summary>
public sealed record PodNeighbour(IPAddress Address, PhysicalAddress Mac);
