using System.Net;
using System.Net.Sockets;

namespace KataSharp.Runtime.Network;

/// <summary>
/// A route through a pod interface, as the guest should install it on that interface: <see cref="Destination"/>
/// null with prefix 0 is the default route, <see cref="Gateway"/> null a directly connected one,
/// <see cref="Scope"/> the RT_SCOPE_* number (0 universe, 253 link), <see cref="Metric"/> 0 when none was set.
/// </summary>
public sealed record PodRoute(AddressFamily Family, IPAddress? Destination, int DestinationPrefix, IPAddress? Gateway)
{
    public IPAddress? Source { get; init; }

    public byte Scope { get; init; }

    public int Metric { get; init; }

    public bool IsDefault => DestinationPrefix == 0;

    public override string ToString() =>
        $"{(IsDefault ? "default" : $"{Destination}/{DestinationPrefix}")}{(Gateway is null ? "" : $" via {Gateway}")}";
}
