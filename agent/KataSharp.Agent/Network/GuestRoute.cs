using System.Net;
using System.Net.Sockets;

namespace KataSharp.Agent.Network;

/// <summary>A route to install on guest interface <see cref="Device"/>; <see cref="Destination"/> null = default route.</summary>
public sealed record GuestRoute(AddressFamily Family, IPAddress? Destination, int DestinationPrefix, IPAddress? Gateway, string Device)
{
    public IPAddress? Source { get; init; }

    public byte Scope { get; init; }

    public int Metric { get; init; }
}
