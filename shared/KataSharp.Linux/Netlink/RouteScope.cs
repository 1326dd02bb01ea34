namespace KataSharp.Linux.Netlink;

/// <summary>rtm_scope / ifa_scope (RT_SCOPE_*): how far a route or address reaches.</summary>
public enum RouteScope : byte
{
    Universe = 0,
    Site = 200,
    Link = 253,
    Host = 254,
    Nowhere = 255,
}
