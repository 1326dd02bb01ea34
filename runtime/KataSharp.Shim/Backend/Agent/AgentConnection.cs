using Grpc.Core;
using Grpc.Net.Client;
using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Model;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The gRPC channel to the guest agent: HTTP/2 with prior knowledge over a stream that
/// <paramref name="dial"/> opens (the VMM's in-process vsock connection to guest port 1024, no unix
/// socket on the way). One HTTP/2 connection carries every call, streams included. While calls are
/// active, HTTP/2 PINGs every <c>keepAliveInterval</c> must be answered within <c>keepAliveTimeout</c>,
/// or the connection is torn down and its calls fail: a hung guest cannot hold a wait for ever.
/// </summary>
public sealed class AgentConnection : IDisposable
{
    private const int MaxMessageBytes = 16 << 20;

    private readonly GrpcChannel _channel;

    public AgentConnection(Func<CancellationToken, Task<Stream>> dial, TimeSpan dialTimeout, TimeSpan keepAliveInterval, TimeSpan keepAliveTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(dialTimeout);
                return await dial(timeout.Token);
            },
            EnableMultipleHttp2Connections = false,
            KeepAlivePingDelay = keepAliveInterval,
            KeepAlivePingTimeout = keepAliveTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = dialTimeout,
        };
        _channel = GrpcChannel.ForAddress("http://agent", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        });
        Agent = new AgentService.AgentServiceClient(_channel);
        Health = new Health.HealthClient(_channel);
    }

    public AgentService.AgentServiceClient Agent { get; }

    public Health.HealthClient Health { get; }

    /// <summary>Asks Health.Check until it answers SERVING or <paramref name="timeout"/> passes.</summary>
    public async Task WaitUntilServingAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        RpcException? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                HealthCheckResponse reply = await Health.CheckAsync(new HealthCheckRequest(), deadline: deadline, cancellationToken: cancellationToken);
                if (reply.Status == HealthCheckResponse.Types.Status.Serving)
                {
                    return;
                }
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                last = e;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken); // retry pacing, not a wait for a condition
        }
        throw new RuntimeException(RuntimeError.DeadlineExceeded,
            $"the guest agent did not answer its health check within {timeout.TotalSeconds:0} s ([agent] ready_timeout_seconds){(last is null ? "" : $": {AgentErrors.Detail(last)}")}");
    }

    public void Dispose() => _channel.Dispose();
}
