using System.Net.WebSockets;

namespace KataSharp.CriProbe.Connection;

/// <summary>
/// A WebSocket to the CRI server's streaming server, speaking the channel protocol (see
/// ChannelFrames): whole binary messages in, channel-tagged messages out. One receiver and one
/// sender at a time, as ClientWebSocket allows.
/// </summary>
internal sealed class ChannelWebSocket : IAsyncDisposable
{
    /// <summary>
    /// The largest message accepted. The server sends what one read of the process's output gave
    /// (io.Copy: 32 KiB); anything far larger means something other than a streaming server answered.
    /// </summary>
    public const int MaxMessageBytes = 1 << 20;

    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private byte[] _buffer = new byte[64 << 10];

    private ChannelWebSocket(ClientWebSocket socket) => _socket = socket;

    /// <summary>The subprotocol the server chose ("" when it chose none, which it treats as channel.k8s.io).</summary>
    public string Protocol => _socket.SubProtocol ?? "";

    public static async Task<ChannelWebSocket> ConnectAsync(Uri uri, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        // The streaming server listens on the node's loopback: a proxy from the environment must not get the request.
        socket.Options.Proxy = null;
        foreach (string protocol in protocols)
        {
            socket.Options.AddSubProtocol(protocol);
        }
        try
        {
            await socket.ConnectAsync(uri, ct);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            socket.Dispose();
            throw new ProbeException($"cannot open the streaming WebSocket {uri}: {e.Message} (a streaming URL is single-use and expires a minute after the CRI call; is the streaming server reachable from here?)");
        }
        return new ChannelWebSocket(socket);
    }

    /// <summary>
    /// The next non-empty message as (channel, payload), or null once the server has closed. The
    /// payload is only valid until the next call.
    /// </summary>
    public async Task<(byte Channel, ReadOnlyMemory<byte> Payload)?> ReceiveAsync(CancellationToken ct)
    {
        while (true)
        {
            int length = 0;
            while (true)
            {
                if (length == _buffer.Length)
                {
                    if (_buffer.Length >= MaxMessageBytes)
                    {
                        throw new ProbeException($"the streaming server sent a message over {MaxMessageBytes} bytes (is this a CRI streaming server?)");
                    }
                    Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxMessageBytes));
                }
                ValueWebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(_buffer.AsMemory(length), ct);
                }
                catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
                {
                    // The Go server (golang.org/x/net/websocket) may drop the TCP connection right after its close frame.
                    return null;
                }
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                if (result.MessageType != WebSocketMessageType.Binary)
                {
                    throw new ProbeException("the streaming server sent a text message; only the binary channel protocol was offered");
                }
                length += result.Count;
                if (result.EndOfMessage)
                {
                    break;
                }
            }
            if (ChannelFrames.TryDecode(_buffer.AsMemory(0, length), out byte channel, out ReadOnlyMemory<byte> payload))
            {
                return (channel, payload);
            }
        }
    }

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        byte[] frame = ChannelFrames.Encode(channel, payload.Span);
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Says goodbye if the socket is still open (bounded: a server that does not answer is not waited for).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var bye = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, bye.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Best effort: the run is over either way.
            }
        }
        _socket.Dispose();
        _sendLock.Dispose();
    }
}
