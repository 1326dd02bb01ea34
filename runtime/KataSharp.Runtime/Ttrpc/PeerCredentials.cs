using System.Buffers.Binary;
using System.Net.Sockets;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// SO_PEERCRED of a connected unix socket (struct ucred: pid, uid, gid). containerd's ttrpc
/// servers accept only peers with their own uid and gid; the shim does the same.
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int UcredSize = 12;

    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[UcredSize];
        int length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != UcredSize)
        {
            throw new IOException($"SO_PEERCRED returned {length} bytes, expected {UcredSize}");
        }
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }
}
