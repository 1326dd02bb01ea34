using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// The tun/tap ioctls (linux/if_tun.h) and their <c>struct ifreq</c> argument (linux/if.h). C names,
/// so the layout test can compare each with the header.
/// </summary>
internal static class TunCalls
{
    private const uint TunIoctlType = 'T';

    /// <summary>IFNAMSIZ: interface names are at most 15 bytes plus the NUL.</summary>
    public const int IFNAMSIZ = 16;

    public static readonly uint TUNSETIFF = IoctlNumber.Iow(TunIoctlType, 202, sizeof(int));
    public static readonly uint TUNSETOFFLOAD = IoctlNumber.Iow(TunIoctlType, 208, sizeof(uint));
    public static readonly uint TUNGETIFF = IoctlNumber.Ior(TunIoctlType, 210, sizeof(uint));
    public static readonly uint TUNGETVNETHDRSZ = IoctlNumber.Ior(TunIoctlType, 215, sizeof(int));
    public static readonly uint TUNSETVNETHDRSZ = IoctlNumber.Iow(TunIoctlType, 216, sizeof(int));

    /// <summary><c>struct ifreq</c> as TUNSETIFF/TUNGETIFF use it: the name, then the flags member of the union
    /// (the union is 24 bytes: the struct is 40).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public unsafe struct InterfaceRequest
    {
        public fixed byte ifr_name[IFNAMSIZ];
        public short ifr_flags;
    }
}
