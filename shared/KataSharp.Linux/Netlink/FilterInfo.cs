namespace KataSharp.Linux.Netlink;

/// <summary>
/// A tc filter (RTM_GETTFILTER). <see cref="RedirectIndex"/> is the ifindex of a mirred egress-redirect
/// action on it, null when it has none (a u32 filter's hash-table entry carries no action).
/// </summary>
public sealed record FilterInfo(int LinkIndex, string Kind, uint Parent, uint Handle, ushort Priority, ushort Protocol, int? RedirectIndex);
