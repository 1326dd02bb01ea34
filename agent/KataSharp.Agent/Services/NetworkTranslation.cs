using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Network;
using KataSharp.Agent.Protocol;
using KataSharp.Linux.Netlink;
using Route = KataSharp.Agent.Protocol.Route;

namespace KataSharp.Agent.Services;

/// <summary>
/// Pod-network requests → domain records, validating every field: the host is trusted, but nonsense is
/// refused with INVALID_ARGUMENT naming the field ("interface.addresses[1].prefix_length: ...") before
/// anything in the guest changes.
/// </summary>
public static class NetworkTranslation
{
    public const int MaxAddresses = 64;
    public const int MaxRoutes = 256;
    public const int MaxNeighbours = 256;

    private static readonly byte[] Scopes = [(byte)RouteScope.Universe, (byte)RouteScope.Site, (byte)RouteScope.Link, (byte)RouteScope.Host];

    public static GuestInterface ToDomain(Interface? request)
    {
        if (request is null)
        {
            throw AgentException.Invalid("interface", "is required");
        }
        PhysicalAddress mac = Mac(request.HwAddr, "interface.hw_addr");
        string? name = request.Name.Length == 0 ? null : Name(request.Name, "interface.name");
        if (request.Mtu is < 68 or > 65535)
        {
            throw AgentException.Invalid("interface.mtu", $"{request.Mtu} is not an MTU (68..65535)");
        }
        if (request.Addresses.Count > MaxAddresses)
        {
            throw AgentException.Invalid("interface.addresses", $"{request.Addresses.Count} addresses; at most {MaxAddresses}");
        }
        var addresses = new List<GuestAddress>();
        for (int i = 0; i < request.Addresses.Count; i++)
        {
            string field = $"interface.addresses[{i}]";
            IPAddress address = Address(request.Addresses[i].Address, $"{field}.address");
            int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            if (request.Addresses[i].PrefixLength > max)
            {
                throw AgentException.Invalid($"{field}.prefix_length", $"{request.Addresses[i].PrefixLength} is more than {max} for {address}");
            }
            addresses.Add(new GuestAddress(address, (int)request.Addresses[i].PrefixLength));
        }
        return new GuestInterface(mac, name, (int)request.Mtu, addresses);
    }

    public static IReadOnlyList<GuestRoute> ToDomain(UpdateRoutesRequest request)
    {
        if (request.Routes.Count > MaxRoutes)
        {
            throw AgentException.Invalid("routes", $"{request.Routes.Count} routes; at most {MaxRoutes}");
        }
        return request.Routes.Select((r, i) => ToDomain(r, $"routes[{i}]")).ToList();
    }

    public static IReadOnlyList<GuestNeighbour> ToDomain(AddNeighborsRequest request)
    {
        if (request.Neighbors.Count > MaxNeighbours)
        {
            throw AgentException.Invalid("neighbors", $"{request.Neighbors.Count} neighbours; at most {MaxNeighbours}");
        }
        return request.Neighbors.Select((n, i) => new GuestNeighbour(
            Address(n.Address, $"neighbors[{i}].address"), Mac(n.HwAddr, $"neighbors[{i}].hw_addr"), Name(n.Device, $"neighbors[{i}].device"))).ToList();
    }

    private static GuestRoute ToDomain(Route route, string field)
    {
        AddressFamily? family = route.Family switch
        {
            IpFamily.Unspecified => null,
            IpFamily.V4 => AddressFamily.InterNetwork,
            IpFamily.V6 => AddressFamily.InterNetworkV6,
            _ => throw AgentException.Invalid($"{field}.family", $"{route.Family} is not an address family"),
        };
        IPAddress? destination = null;
        int prefix = 0;
        if (route.Dest.Length > 0)
        {
            (destination, prefix) = Network(route.Dest, $"{field}.dest");
            family = Agree(family, destination, $"{field}.dest");
        }
        IPAddress? gateway = route.Gateway.Length == 0 ? null : Address(route.Gateway, $"{field}.gateway");
        if (gateway is not null)
        {
            family = Agree(family, gateway, $"{field}.gateway");
        }
        IPAddress? source = route.Source.Length == 0 ? null : Address(route.Source, $"{field}.source");
        if (source is not null)
        {
            family = Agree(family, source, $"{field}.source");
        }
        if (family is null)
        {
            throw AgentException.Invalid($"{field}.family", "is needed: neither dest nor gateway tells whether this default route is IPv4 or IPv6");
        }
        if (route.Scope > byte.MaxValue || !Scopes.Contains((byte)route.Scope))
        {
            throw AgentException.Invalid($"{field}.scope", $"{route.Scope} is not a route scope (0 universe, 200 site, 253 link, 254 host)");
        }
        if (gateway is not null && route.Scope != (uint)RouteScope.Universe)
        {
            throw AgentException.Invalid($"{field}.scope", $"a route through gateway {gateway} has scope 0 (universe), not {route.Scope}");
        }
        if (route.Metric > int.MaxValue)
        {
            throw AgentException.Invalid($"{field}.metric", $"{route.Metric} is too large (at most {int.MaxValue})");
        }
        return new GuestRoute(family.Value, destination, prefix, gateway, Name(route.Device, $"{field}.device"))
        {
            Source = source,
            Scope = (byte)route.Scope,
            Metric = (int)route.Metric,
        };
    }

    private static AddressFamily Agree(AddressFamily? family, IPAddress address, string field) =>
        family is null || family == address.AddressFamily ? address.AddressFamily
            : throw AgentException.Invalid(field, $"{address} is not of the route's family ({(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")})");

    private static PhysicalAddress Mac(string text, string field)
    {
        string[] parts = text.Split(':');
        byte[] bytes = new byte[6];
        if (parts.Length != 6 || parts.Any(p => p.Length != 2) ||
            !parts.Select((p, i) => byte.TryParse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out bytes[i])).All(ok => ok))
        {
            throw AgentException.Invalid(field, $"'{text}' is not a MAC address like aa:bb:cc:dd:ee:ff");
        }
        if ((bytes[0] & 1) != 0 || bytes.All(b => b == 0))
        {
            throw AgentException.Invalid(field, $"'{text}' is a multicast or all-zero MAC address, not an interface's");
        }
        return new PhysicalAddress(bytes);
    }

    private static string Name(string name, string field) =>
        RouteNetlink.IsValidInterfaceName(name) ? name
            : throw AgentException.Invalid(field, $"'{name}' is not an interface name (1-15 characters, no '/', ':' or whitespace)");

    private static IPAddress Address(string text, string field)
    {
        if (!IPAddress.TryParse(text, out IPAddress? address) || address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            || text.Contains('%') || (address.AddressFamily == AddressFamily.InterNetwork && address.ToString() != text))
        {
            throw AgentException.Invalid(field, $"'{text}' is not an IPv4 or IPv6 address");
        }
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(address) || IsMulticast(address))
        {
            throw AgentException.Invalid(field, $"{address} is an unspecified, loopback or multicast address");
        }
        return address;
    }

    /// <summary>"10.1.0.0/16" → (10.1.0.0, 16); the host part must be zero (the kernel refuses it otherwise).</summary>
    private static (IPAddress, int) Network(string text, string field)
    {
        int slash = text.IndexOf('/');
        if (slash < 0 || !IPNetwork.TryParse(text, out IPNetwork network) || !IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? given)
            || !given.Equals(network.BaseAddress) || IsMulticast(given))
        {
            throw AgentException.Invalid(field, $"'{text}' is not a network like 10.1.0.0/16 with its host bits zero");
        }
        return (network.BaseAddress, network.PrefixLength);
    }

    private static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? address.IsIPv6Multicast : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;
}
