using System.Net.Sockets;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Telemetry;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>A sandbox state directory with a metrics socket behind it: one that answers with fixed text, or one that
/// accepts connections (the kernel's backlog) and never answers, as a hung shim.</summary>
public sealed class FakeShimMetrics : IAsyncDisposable
{
    private readonly MetricsHttpServer? _server;
    private readonly Socket? _silent;

    private FakeShimMetrics(MetricsHttpServer? server, Socket? silent)
    {
        _server = server;
        _silent = silent;
    }

    public static FakeShimMetrics Answering(SandboxStateStore store, string sandboxId, string text) =>
        new(new MetricsHttpServer(UnixListener.Bind(Prepare(store, sandboxId)), _ => Task.FromResult(text)), null);

    public static FakeShimMetrics Silent(SandboxStateStore store, string sandboxId) =>
        new(null, UnixListener.Bind(Prepare(store, sandboxId)));

    private static string Prepare(SandboxStateStore store, string sandboxId)
    {
        string socket = SandboxMetricsSocket.For(store, sandboxId);
        Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _silent?.Dispose();
    }
}
