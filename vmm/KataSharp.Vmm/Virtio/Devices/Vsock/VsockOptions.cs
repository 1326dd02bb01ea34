namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// Configuration of the vsock device. <paramref name="SocketPath"/> is the hybrid-vsock unix socket the
/// VMM listens on (host clients write "CONNECT port\n"); guest connections to port P go to a listener at
/// "<paramref name="SocketPath"/>_P". Null = no unix socket (in-process connections only, and guest
/// connections are refused).
/// </summary>
public sealed record VsockOptions(uint GuestCid, string? SocketPath)
{
    /// <summary>The CID Linux guests get by default in KataSharp.</summary>
    public const uint DefaultGuestCid = 3;

    public TimeSpan HandshakeTimeout { get; init; } = VsockLimits.HandshakeTimeout;

    public TimeSpan ConnectTimeout { get; init; } = VsockLimits.ConnectTimeout;

    public TimeSpan CloseTimeout { get; init; } = VsockLimits.CloseTimeout;

    public TimeSpan CreditRequestDelay { get; init; } = VsockLimits.CreditRequestDelay;

    /// <summary>Throws <see cref="VsockException"/> naming the problem and the fix.</summary>
    public void Validate()
    {
        // 0 (hypervisor), 1 (local), 2 (host) and 0xFFFFFFFF (any) are reserved by AF_VSOCK.
        if (GuestCid < 3 || GuestCid == uint.MaxValue)
        {
            throw new VsockException($"guest CID {GuestCid} is reserved: use a CID between 3 and 4294967294");
        }
        if (SocketPath is not null && (SocketPath.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(SocketPath) + 11 > 107))
        {
            throw new VsockException($"vsock socket path '{SocketPath}' is empty or too long for a unix socket with a '_<port>' suffix (107 bytes): use a shorter path");
        }
    }
}
