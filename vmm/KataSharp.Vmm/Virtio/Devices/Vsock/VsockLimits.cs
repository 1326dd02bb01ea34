namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// Bounds on what the guest and host clients can make the vsock device hold or do (the threat table in
/// Virtio/README.md). Host memory held for vsock is at most
/// <see cref="MaxConnections"/> × <see cref="ConnectionBufferBytes"/> plus
/// <see cref="MaxPendingHandshakes"/> × <see cref="HandshakeLineBytes"/>.
/// </summary>
public static class VsockLimits
{
    /// <summary>buf_alloc we advertise per connection: guest data accepted but not yet written to the host
    /// socket never exceeds it (a guest that sends more is reset).</summary>
    public const int ConnectionBufferBytes = 256 * 1024;

    /// <summary>Largest payload in one packet either way (Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).</summary>
    public const int MaxPacketPayload = 64 * 1024;

    /// <summary>Concurrent connections; further requests are reset.</summary>
    public const int MaxConnections = 1024;

    /// <summary>Host clients that have connected but not finished "CONNECT port\n".</summary>
    public const int MaxPendingHandshakes = 128;

    /// <summary>Host clients accepted per event-loop turn: clients connecting as fast as they are accepted must
    /// not keep the loop (and the guest's queues) waiting.</summary>
    public const int AcceptsPerTurn = 32;

    /// <summary>Longest "CONNECT port\n" line accepted.</summary>
    public const int HandshakeLineBytes = 32;

    /// <summary>RSTs for unknown connections waiting for an RX buffer; more are dropped (the guest times out).</summary>
    public const int MaxQueuedResets = 256;

    /// <summary>How long a host client may take to send its CONNECT line.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the guest may take to answer a host-initiated REQUEST, counted from its delivery into
    /// an RX buffer (so a guest still booting is not timed out). Generous: a loaded guest queues its RESPONSE
    /// behind the data of its other streams, and in the nested test host that took more than 5 s.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long host data waits for the guest's own credit update before the device sends one
    /// CREDIT_REQUEST (per stall). Linux updates unasked once it has read most of its buffer, so this is the
    /// fallback for a guest that does not; the timer that checks it ticks every 100 ms.</summary>
    public static readonly TimeSpan CreditRequestDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a closing connection waits for the guest's RST or for the host to drain its data.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(3);
}
