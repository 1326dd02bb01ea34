using System.Net.NetworkInformation;
using KataSharp.Linux.Network;

namespace KataSharp.Runtime.Network;

/// <summary>
/// One pod interface connected to the VM: the CNI-made veth (<see cref="Name"/>, usually eth0) and the tap
/// the VMM's virtio-net device uses (<see cref="Tap"/>), joined by tc redirects both ways. The guest
/// interface must get <see cref="GuestMac"/> (the veth's MAC: the CNI bridge and its neighbours know the
/// pod by it), <see cref="Mtu"/>, <see cref="Addresses"/>, <see cref="Routes"/> and <see cref="Neighbours"/>.
/// </summary>
public sealed record PodInterface
{
    /// <summary>The veth's name in the pod's namespace; also the name the guest interface should carry.</summary>
    public required string Name { get; init; }

    /// <summary>The veth's ifindex in the pod's network namespace.</summary>
    public required int Index { get; init; }

    /// <summary>
    /// The tap (tap0_kata, tap1_kata...): its fd is the VMM's backend. Owned by the <see cref="PodNetwork"/>: the
    /// VMM uses <c>Tap.Descriptor</c> but never closes it, and must have stopped using it before the
    /// PodNetwork is disposed. A VMM that needs its own lifetime duplicates the fd (the tap then lives
    /// until that duplicate is closed too).
    /// </summary>
    public required TapDevice Tap { get; init; }

    public required int TapIndex { get; init; }

    public required PhysicalAddress GuestMac { get; init; }

    public required int Mtu { get; init; }

    public required IReadOnlyList<PodAddress> Addresses { get; init; }

    public required IReadOnlyList<PodRoute> Routes { get; init; }

    public required IReadOnlyList<PodNeighbour> Neighbours { get; init; }

    /// <summary>The MAC as the agent API writes it: lower-case, colon-separated.</summary>
    public string GuestMacText => string.Join(':', GuestMac.GetAddressBytes().Select(b => b.ToString("x2")));
}
