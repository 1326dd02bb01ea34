using KataSharp.Agent.Engine;
using KataSharp.Agent.Hosting.Listeners;
using KataSharp.Agent.Protocol;
using KataSharp.Linux.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting;

/// <summary>
/// katasharp.debug_console: a shell on guest vsock port 1026 for debugging the guest (not containers), what
/// `katasharp exec` on the host talks to. Each connection is one <see cref="DebugConsoleSession"/> (the framed wire:
/// KataSharp.Agent.Protocol.DebugConsoleWire). Only the host (vsock CID 2) is served: a guest-local peer would be a
/// container asking for guest root.
/// </summary>
public sealed class DebugConsole : IDisposable
{
    /// <summary>Shells at once; each is a process and a pty in the guest.</summary>
    private const int MaxSessions = 4;

    private readonly ContainerEngine _engine;
    private readonly ILogger _log;
    private HostVsockServer? _server;

    private DebugConsole(ContainerEngine engine, ILogger log)
    {
        _engine = engine;
        _log = log;
    }

    public static DebugConsole? Start(ContainerEngine engine, ILogger log)
    {
        var console = new DebugConsole(engine, log);
        console._server = HostVsockServer.Start(AgentProtocolConstants.DebugConsolePort, "debug console", log, MaxSessions, console.ServeAsync);
        if (console._server is null)
        {
            return null;
        }
        log.LogWarning("debug console listening on vsock port {Port}: anyone with host access gets a guest root shell", AgentProtocolConstants.DebugConsolePort);
        return console;
    }

    private Task ServeAsync(StreamSocket client) => new DebugConsoleSession(_engine, client, _log).RunAsync();

    public void Dispose() => _server?.Dispose();
}
