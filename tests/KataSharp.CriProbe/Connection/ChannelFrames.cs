namespace KataSharp.CriProbe.Connection;

/// <summary>
/// Kubernetes' WebSocket channel framing (k8s.io/apiserver pkg/util/wsstream conn.go, which
/// containerd's streaming server uses): every binary message starts with one byte naming the
/// channel, the rest is that channel's bytes. Pure functions, so the framing can be tested alone.
/// </summary>
internal static class ChannelFrames
{
    /// <summary>Remote command channels (kubelet pkg/cri/streaming/remotecommand/websocket.go).</summary>
    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;

    /// <summary>v4: one JSON metav1.Status at the end; before v4: the error text, nothing on success.</summary>
    public const byte Error = 3;

    /// <summary>
    /// Offered first: the server takes the first protocol in the client's list that it supports, and
    /// v4 is the only one whose channel 3 carries the exit code. containerd 1.6 has no v5 (the one
    /// with a close-stdin signal), so stdin cannot be half-closed.
    /// </summary>
    public const string V4Protocol = "v4.channel.k8s.io";

    /// <summary>The pre-v4 binary protocol, offered second for exec/attach (port-forward does not accept it).</summary>
    public const string PreV4Protocol = "channel.k8s.io";

    public static byte[] Encode(byte channel, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[payload.Length + 1];
        frame[0] = channel;
        payload.CopyTo(frame.AsSpan(1));
        return frame;
    }

    /// <summary>Splits a received message; false for an empty message (the server skips those too).</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> message, out byte channel, out ReadOnlyMemory<byte> payload)
    {
        if (message.Length == 0)
        {
            channel = 0;
            payload = ReadOnlyMemory<byte>.Empty;
            return false;
        }
        channel = message.Span[0];
        payload = message[1..];
        return true;
    }

    /// <summary>
    /// http(s)://host:port/exec/TOKEN as containerd returns it (its streaming server's base URL is
    /// http://ADDRESS:PORT, https with TLS streaming) → the ws(s):// URL to dial. The token alone
    /// names the request: the server takes stdin/stdout/stderr/tty (and the ports) from the cached
    /// CRI request, not from query parameters.
    /// </summary>
    public static Uri ToWebSocketUri(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
        {
            throw new ProbeException($"the CRI server returned a streaming URL that is not absolute: '{url}'");
        }
        string scheme = uri.Scheme switch
        {
            "http" or "ws" => "ws",
            "https" or "wss" => "wss",
            _ => throw new ProbeException($"the CRI server returned a streaming URL with scheme '{uri.Scheme}' ({url}); expected http or https"),
        };
        return new UriBuilder(uri) { Scheme = scheme, Port = uri.Port }.Uri;
    }
}
