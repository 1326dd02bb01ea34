namespace KataSharp.CriProbe.Connection;

/// <summary>
/// The port-forward WebSocket protocol (kubelet pkg/cri/streaming/portforward/websocket.go): the
/// server starts each channel of a port (data 2n, error 2n+1) with that port as an unsigned 16-bit
/// little-endian number, then the channel's bytes. This strips those two bytes, wherever message
/// boundaries fall, and checks they name the port asked for. The client sends no such prefix.
/// </summary>
internal sealed class PortPrefix(ushort port)
{
    private readonly byte[] _seen = new byte[2];
    private int _count;

    public bool Complete => _count == 2;

    /// <summary>The payload with any prefix bytes removed (empty while the prefix is still arriving).</summary>
    public ReadOnlyMemory<byte> Strip(ReadOnlyMemory<byte> payload)
    {
        int take = Math.Min(2 - _count, payload.Length);
        payload.Span[..take].CopyTo(_seen.AsSpan(_count));
        _count += take;
        if (take > 0 && Complete)
        {
            ushort announced = (ushort)(_seen[0] | (_seen[1] << 8));
            if (announced != port)
            {
                throw new ProbeException($"port-forward: the server announced port {announced} on the channel for port {port} (protocol mismatch)");
            }
        }
        return payload[take..];
    }
}
