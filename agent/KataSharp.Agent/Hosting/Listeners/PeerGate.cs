using KataSharp.Linux;
using KataSharp.Linux.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting.Listeners;

/// <summary>
/// Admits only the host (vsock CID 2) to an agent port. Any other peer — a container in this guest
/// reaching the port through a loopback transport (CID 1 or the guest's own CID), if a kernel ever
/// has one — is closed at accept, counted, and logged (the first <see cref="LoggedIndividually"/>,
/// then every <see cref="LogEvery"/>th, so a connect loop cannot flood the log). The peer address
/// comes from <see cref="StreamSocket.VsockPeer"/> unless a test supplies another lookup (unix
/// sockets have no CID).
/// </summary>
public sealed class PeerGate(string port, ILogger log, Func<StreamSocket, VsockAddress?>? peerOf = null)
{
    public const int LoggedIndividually = 16;
    public const int LogEvery = 1024;

    private readonly Func<StreamSocket, VsockAddress?> _peerOf = peerOf ?? (s => s.VsockPeer());
    private long _refused;

    /// <summary>Connections refused so far.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>True when <paramref name="connection"/> may be served; otherwise the caller closes it.</summary>
    public bool Admit(StreamSocket connection)
    {
        string peer;
        try
        {
            VsockAddress? address = _peerOf(connection);
            if (address is { Cid: StreamSocket.VsockHostCid })
            {
                return true;
            }
            peer = address?.ToString() ?? "a peer that is not on vsock";
        }
        catch (LinuxException e)
        {
            peer = $"an unknown peer ({e.Message})";
        }
        long refused = Interlocked.Increment(ref _refused);
        if (refused <= LoggedIndividually || refused % LogEvery == 0)
        {
            log.LogWarning("refused a connection to {Port} from {Peer}: only the host (vsock CID {HostCid}) may connect ({Refused} refused so far{More})",
                port, peer, StreamSocket.VsockHostCid, refused, refused == LoggedIndividually ? $"; from now on every {LogEvery}th is logged" : "");
        }
        return false;
    }
}
