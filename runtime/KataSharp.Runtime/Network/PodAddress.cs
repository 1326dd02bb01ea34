using System.Net;

namespace KataSharp.Runtime.Network;

/// <summary>An address of a pod interface with its prefix length (10.88.0.5/16, fd00::5/64).</summary>
public sealed record PodAddress(IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}
