using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Network;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The pod network as the agent's UpdateInterface / UpdateRoutes / AddNeighbors requests (agent/README.md,
/// "Pod network"): each guest interface is selected by the veth's MAC (which the VMM gave its virtio-net device)
/// and named like the veth (eth0), so the routes and neighbours name it by that name.
/// </summary>
public static class GuestNetworkRequests
{
    public static UpdateInterfaceRequest Interface(PodInterface pod)
    {
        var guest = new Interface { HwAddr = pod.GuestMacText, Name = pod.Name, Mtu = (uint)pod.Mtu };
        guest.Addresses.Add(pod.Addresses.Select(a => new IpAddress
        {
            Address = a.Address.ToString(),
            PrefixLength = (uint)a.PrefixLength,
        }));
        return new UpdateInterfaceRequest { Interface = guest };
    }

    /// <summary>Every route of every interface in one request (the agent replaces the guest's routes with exactly these).</summary>
    public static UpdateRoutesRequest Routes(IEnumerable<PodInterface> pods)
    {
        var request = new UpdateRoutesRequest();
        foreach (PodInterface pod in pods)
        {
            request.Routes.Add(pod.Routes.Select(r => new Route
            {
                Dest = r.IsDefault || r.Destination is null ? "" : $"{r.Destination}/{r.DestinationPrefix.ToString(CultureInfo.InvariantCulture)}",
                Gateway = r.Gateway?.ToString() ?? "",
                Device = pod.Name,
                Source = r.Source?.ToString() ?? "",
                Scope = r.Scope,
                // Explicit, so a default route without a gateway (a device route) is never ambiguous.
                Family = r.Family == AddressFamily.InterNetworkV6 ? IpFamily.V6 : IpFamily.V4,
                Metric = (uint)Math.Max(0, r.Metric),
            }));
        }
        return request;
    }

    public static AddNeighborsRequest Neighbours(IEnumerable<PodInterface> pods)
    {
        var request = new AddNeighborsRequest();
        foreach (PodInterface pod in pods)
        {
            request.Neighbors.Add(pod.Neighbours.Select(n => new Neighbor
            {
                Address = n.Address.ToString(),
                HwAddr = MacText(n.Mac),
                Device = pod.Name,
            }));
        }
        return request;
    }

    private static string MacText(PhysicalAddress mac) => string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
