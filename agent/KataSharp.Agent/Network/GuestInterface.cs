using System.Net;
using System.Net.NetworkInformation;

namespace KataSharp.Agent.Network;

/// <summary>What UpdateInterface asks for: the interface with <see cref="Mac"/> gets <see cref="Name"/> (null = keep),
/// <see cref="Mtu"/> and exactly <see cref="Addresses"/>, and ends up up.</summary>
public sealed record GuestInterface(PhysicalAddress Mac, string? Name, int Mtu, IReadOnlyList<GuestAddress> Addresses);

/// <summary>An address with its prefix length.</summary>
public sealed record GuestAddress(IPAddress Address, int PrefixLength);
