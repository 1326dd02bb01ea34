namespace KataSharp.Runtime.Logging;

/// <summary>
/// The bounds on guest text the shim turns into log records (the agent's log stream on vsock port
/// 1025 and the serial console). Everything from the guest is attacker-controlled: a container can
/// reach the log port too, so these hold whatever it sends. The defaults fit an agent at debug level.
/// </summary>
public sealed record GuestOutputLimits
{
    public static GuestOutputLimits Default { get; } = new();

    /// <summary>The longest line kept; a longer one is cut there and the rest of it discarded unread into any buffer.</summary>
    public int MaxLineBytes { get; init; } = 4096;

    /// <summary>Concurrent connections to the log port; further ones are closed at once (the agent holds one from boot).</summary>
    public int MaxLogConnections { get; init; } = 1;

    /// <summary>Sustained lines per second per source (log port, console); the excess is dropped and counted.</summary>
    public int LinesPerSecond { get; init; } = 100;

    /// <summary>Lines that may arrive at once before the per-second rate applies (a boot's worth).</summary>
    public int LineBurst { get; init; } = 500;

    /// <summary>Sustained bytes per second per source.</summary>
    public int BytesPerSecond { get; init; } = 64 * 1024;

    /// <summary>Bytes that may arrive at once; at least <see cref="MaxLineBytes"/>.</summary>
    public int ByteBurst { get; init; } = 256 * 1024;

    /// <summary>How often a summary of dropped lines or refused connections is logged (one record per interval).</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(5);
}
