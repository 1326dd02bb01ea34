using System.Runtime.InteropServices;
using KataSharp.Linux.Files;

#pragma warning disable IDE1006, CS8981 // C names on purpose: the layout test checks them against linux/if_tun.h and linux/if.h

namespace KataSharp.Linux.Network.Interop;

/// <summary>/dev/net/tun ioctls and flags (linux/if_tun.h), checked against the header by NetlinkLayoutTests.</summary>
internal static class TunConstants
{
    private const uint TunIoctlType = 'T';

    public static readonly uint TUNSETIFF = IoctlNumber.Iow(TunIoctlType, 202, sizeof(int));
    public static readonly uint TUNSETOFFLOAD = IoctlNumber.Iow(TunIoctlType, 208, sizeof(uint));
    public static readonly uint TUNSETVNETHDRSZ = IoctlNumber.Iow(TunIoctlType, 216, sizeof(int));

    public const int IFF_TAP = 0x0002;
    public const int IFF_NO_PI = 0x1000;
    public const int IFF_VNET_HDR = 0x4000;
    public const int IFF_TUN_EXCL = 0x8000;
    public const int IFNAMSIZ = 16;
}

/// <summary>struct ifreq as TUNSETIFF reads it: the name, then ifr_flags at the start of the 24-byte union.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal unsafe struct ifreq
{
    public fixed byte ifr_name[TunConstants.IFNAMSIZ];
    public short ifr_flags;
}
