namespace KataSharp.Linux.Netlink;

/// <summary>rtm_protocol (RTPROT_*): who installed a route. Kernel routes come from addresses and go with them.</summary>
public enum RouteProtocol : byte
{
    Unspecified = 0,
    Redirect = 1,
    Kernel = 2,
    Boot = 3,
    Static = 4,
    Dhcp = 16,
    RouterAdvertisement = 9,
}
