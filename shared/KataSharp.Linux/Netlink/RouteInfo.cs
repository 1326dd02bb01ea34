using System.Net;
using System.Net.Sockets;

namespace KataSharp.Linux.Netlink;

/// <summary>
/// A route of the main table. <see cref="Destination"/> null with prefix 0 is the default route;
/// <see cref="Gateway"/> null is a directly connected (usually link-scope) route; <see cref="Metric"/>
/// is RTA_PRIORITY (0 = none given).
/// </summary>
public sealed record RouteInfo(AddressFamily Family, IPAddress? Destination, int DestinationPrefix, IPAddress? Gateway, int OutputIndex)
{
    public RouteScope Scope { get; init; } = RouteScope.Universe;

    public int Metric { get; init; }

    public IPAddress? PreferredSource { get; init; }

    public RouteProtocol Protocol { get; init; } = RouteProtocol.Boot;

    public RouteType Type { get; init; } = RouteType.Unicast;

    public bool IsDefault => DestinationPrefix == 0;

    public override string ToString() =>
        $"{(IsDefault ? "default" : $"{Destination}/{DestinationPrefix}")}{(Gateway is null ? "" : $" via {Gateway}")} dev #{OutputIndex} scope {Scope}" +
        (Metric != 0 ? $" metric {Metric}" : "");
}
