using System.Collections.Concurrent;
using System.Net.Sockets;
using Google.Protobuf;
using KataSharp.Runtime.Ttrpc.Wire;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// A unary ttrpc client (odd, increasing stream ids; responses matched by stream id). The
/// shim uses it to publish events to containerd; tests use it to drive the shim.
/// </summary>
public sealed class TtrpcClient : IAsyncDisposable
{
    private readonly TtrpcChannel _channel;
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<Response>> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;
    private long _nextStreamId = -1;

    private TtrpcClient(Stream stream)
    {
        _channel = new TtrpcChannel(stream);
        _reader = Task.Run(ReadLoopAsync);
    }

    public bool IsClosed => _reader.IsCompleted;

    /// <summary>Connects to a unix socket path; a leading <c>unix://</c> is accepted and stripped.</summary>
    public static async Task<TtrpcClient> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        string path = address.StartsWith("unix://", StringComparison.Ordinal) ? address["unix://".Length..] : address;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new TtrpcClient(new NetworkStream(socket, ownsSocket: true));
    }

    public async Task<TResponse> CallAsync<TResponse>(
        string service,
        string method,
        IMessage request,
        MessageParser<TResponse> responseParser,
        IEnumerable<KeyValuePair<string, string>>? metadata = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        where TResponse : IMessage<TResponse>
    {
        var envelope = new Request
        {
            Service = service,
            Method = method,
            Payload = request.ToByteString(),
            TimeoutNano = timeout is { } t ? t.Ticks * 100 : 0,
        };
        foreach (var (key, value) in metadata ?? [])
        {
            envelope.Metadata.Add(new KeyValue { Key = key.ToLowerInvariant(), Value = value });
        }
        Response response = await SendAsync(envelope.ToByteArray(), timeout, cancellationToken);
        if (response.Status is { Code: not 0 } status)
        {
            throw new TtrpcException((TtrpcStatusCode)status.Code, status.Message);
        }
        return responseParser.ParseFrom(response.Payload);
    }

    /// <summary>Sends an already-encoded Request envelope (tests use it to send malformed or huge ones).</summary>
    public async Task<Response> SendAsync(byte[] requestEnvelope, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        uint streamId = (uint)Interlocked.Add(ref _nextStreamId, 2);
        var reply = new TaskCompletionSource<Response>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[streamId] = reply;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
        {
            limit.CancelAfter(t);
        }
        try
        {
            if (IsClosed)
            {
                throw new TtrpcException(TtrpcStatusCode.Unavailable, "ttrpc: closed");
            }
            await _channel.WriteFrameAsync(streamId, TtrpcMessageType.Request, requestEnvelope, limit.Token);
            return await reply.Task.WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TtrpcException(TtrpcStatusCode.DeadlineExceeded, "ttrpc: call timed out");
        }
        catch (IOException e)
        {
            throw new TtrpcException(TtrpcStatusCode.Unavailable, $"ttrpc: closed ({e.Message})");
        }
        finally
        {
            _pending.TryRemove(streamId, out _);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _channel.ReadFrameAsync(_closing.Token) is { } frame)
            {
                if (frame.Header.Type != TtrpcMessageType.Response || !_pending.TryGetValue(frame.Header.StreamId, out var reply))
                {
                    continue; // unknown stream: ttrpc's client logs and drops these too
                }
                try
                {
                    reply.TrySetResult(Response.Parser.ParseFrom(frame.Payload));
                }
                catch (InvalidProtocolBufferException e)
                {
                    reply.TrySetException(new TtrpcException(TtrpcStatusCode.DataLoss, $"malformed ttrpc response: {e.Message}"));
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            foreach (var reply in _pending.Values)
            {
                reply.TrySetException(new TtrpcException(TtrpcStatusCode.Unavailable, "ttrpc: closed"));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        await _channel.DisposeAsync();
        await _reader;
        _closing.Dispose();
    }
}
