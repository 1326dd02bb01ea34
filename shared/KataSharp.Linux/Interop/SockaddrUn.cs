using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// <c>struct sockaddr_un</c> from sys/un.h: the family, then a path of <see cref="PathLength"/> bytes (NUL-terminated
/// unless it fills them all, which Linux allows but this code never makes). C names, so the layout test compares each
/// with the header.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockaddrUn
{
    /// <summary>sizeof(sun_path): the longest unix socket path is one byte shorter (the NUL).</summary>
    public const int PathLength = 108;

    public ushort sun_family;
    public fixed byte sun_path[PathLength];
}
