namespace KataSharp.Agent.Protocol;

/// <summary>Wire facts both ends of the agent API must agree on, beside the generated stubs.</summary>
public static class AgentProtocolConstants
{
    /// <summary>Guest vsock port of the gRPC server.</summary>
    public const uint GrpcPort = 1024;

    /// <summary>Host vsock port the agent sends its log lines to (one line per record) when a listener exists.</summary>
    public const uint LogPort = 1025;

    /// <summary>Guest vsock port of the debug console (only with katasharp.debug_console on the kernel command line).</summary>
    public const uint DebugConsolePort = 1026;

    /// <summary>The kernel command-line word that turns the debug console on (the shim adds it for [runtime] debug_console).</summary>
    public const string DebugConsoleKernelParameter = "katasharp.debug_console";

    /// <summary>
    /// Guest vsock port of port forwarding (CRI PortForward). Per connection the host sends the TCP port as two
    /// bytes, big-endian; the agent connects to 127.0.0.1 on that port in the pod's (its own) network namespace and
    /// answers one byte, <see cref="PortForwardConnected"/> or <see cref="PortForwardRefused"/>; after a
    /// connected answer the connection carries the TCP stream's bytes both ways.
    /// </summary>
    public const uint PortForwardPort = 1027;

    public const byte PortForwardConnected = 0;
    public const byte PortForwardRefused = 1;

    /// <summary>
    /// Trailer of an INVALID_ARGUMENT reply naming the offending field path
    /// (e.g. <c>process.args</c>, <c>mounts[2].type</c>), so a caller can act on it without parsing the message.
    /// </summary>
    public const string ErrorFieldTrailer = "katasharp-error-field";
}
