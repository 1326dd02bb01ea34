using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Ttrpc;
using KataSharp.Runtime.Tests.Fakes;

namespace KataSharp.Runtime.Tests.Ttrpc;

/// <summary>A ttrpc server on a real unix socket with a small test service ("test.Echo").</summary>
public sealed class TtrpcTestServer : IAsyncDisposable
{
    public const string Service = "test.Echo";

    private readonly TempDirectory _directory = new("ks-ttrpc");
    private readonly TtrpcServer _server;
    private readonly Task _serving;

    public TtrpcTestServer(Func<PeerCredentials, bool>? acceptPeer = null)
    {
        SocketPath = _directory.Combine("ttrpc.sock");
        var registry = new TtrpcServiceRegistry();
        registry.Add(Service, "Echo", StringValue.Parser, (request, context) =>
            Task.FromResult(new StringValue { Value = $"{request.Value} ns={context.Namespace ?? "-"}" }));
        registry.Add(Service, "Block", StringValue.Parser, async (request, context) =>
        {
            Blocked.TrySetResult();
            await Release.Task.WaitAsync(context.CancellationToken);
            return new StringValue { Value = "released " + request.Value };
        });
        registry.Add(Service, "Delay", Int32Value.Parser, async (request, context) =>
        {
            await Task.Delay(request.Value, context.CancellationToken);
            return new Int32Value { Value = request.Value };
        });
        registry.Add(Service, "Fail", StringValue.Parser, (request, context) =>
            Task.FromException<StringValue>(new RuntimeException(RuntimeError.NotFound, "no such thing: " + request.Value)));
        (_server, _serving) = TestListener.Serve(SocketPath, registry, acceptPeer);
    }

    public string SocketPath { get; }

    public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int ConnectionCount => _server.ConnectionCount;

    public Task<TtrpcClient> ConnectAsync() => TtrpcClient.ConnectAsync(SocketPath, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        Release.TrySetResult();
        await _server.StopAsync();
        await _serving;
        _directory.Dispose();
    }
}
