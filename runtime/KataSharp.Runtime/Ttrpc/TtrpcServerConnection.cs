using System.Collections.Concurrent;
using Google.Protobuf;
using KataSharp.Runtime.Ttrpc.Wire;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// One accepted connection. Frames are read in order; each request runs concurrently and its
/// response is written whenever it is ready, so a Wait that blocks for a container's lifetime
/// never holds up the other calls on the same connection.
/// </summary>
internal sealed class TtrpcServerConnection
{
    private readonly TtrpcChannel _channel;
    private readonly TtrpcServiceRegistry _registry;
    private readonly ITtrpcErrorTranslator _errors;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<uint, Task> _inFlight = new();
    private uint _lastStreamId;

    public TtrpcServerConnection(Stream stream, TtrpcServiceRegistry registry, ITtrpcErrorTranslator errors)
    {
        _channel = new TtrpcChannel(stream);
        _registry = registry;
        _errors = errors;
    }

    /// <summary>Reads until the peer hangs up or <see cref="Close"/> is called.</summary>
    public async Task RunAsync()
    {
        try
        {
            while (await _channel.ReadFrameAsync(_closing.Token) is { } frame)
            {
                if (frame.Header.Type == TtrpcMessageType.Request)
                {
                    OnRequest(frame);
                }
                // Data frames and unknown types belong to streaming APIs this server does not offer;
                // ttrpc 1.1's server ignores them too.
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or we are closing: nothing to answer any more.
        }
        finally
        {
            await _closing.CancelAsync();
        }
    }

    /// <summary>Waits (bounded) for calls already running to write their responses.</summary>
    public async Task DrainAsync(TimeSpan limit)
    {
        Task all = Task.WhenAll(_inFlight.Values);
        await Task.WhenAny(all, Task.Delay(limit));
    }

    public async Task CloseAsync()
    {
        await _closing.CancelAsync();
        await _channel.DisposeAsync();
    }

    private void OnRequest(TtrpcFrame frame)
    {
        uint streamId = frame.Header.StreamId;
        string? refusal = null;
        TtrpcStatusCode refusalCode = TtrpcStatusCode.InvalidArgument;
        if (frame.Header.IsOversized)
        {
            refusalCode = TtrpcStatusCode.ResourceExhausted;
            refusal = $"message length {frame.Header.Length} exceed maximum message size of {TtrpcFrameHeader.MaxMessageLength}";
        }
        else if (streamId % 2 == 0)
        {
            refusal = "StreamID must be odd for client initiated streams";
        }
        else if (streamId <= _lastStreamId)
        {
            refusal = "StreamID cannot be re-used and must increment";
        }
        if (refusal is not null)
        {
            Track(streamId, RespondAsync(streamId, new TtrpcException(refusalCode, refusal)));
            return;
        }
        _lastStreamId = streamId;
        Track(streamId, Task.Run(() => HandleAsync(streamId, frame.Payload)));
    }

    private void Track(uint streamId, Task call)
    {
        _inFlight[streamId] = call;
        call.ContinueWith(_ => _inFlight.TryRemove(streamId, out Task? _), TaskScheduler.Default);
    }

    private async Task HandleAsync(uint streamId, byte[] payload)
    {
        Request request;
        try
        {
            request = Request.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            await RespondAsync(streamId, new TtrpcException(TtrpcStatusCode.InvalidArgument, $"malformed ttrpc request: {e.Message}"));
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        if (request.TimeoutNano > 0)
        {
            deadline.CancelAfter(TimeSpan.FromTicks(request.TimeoutNano / 100));
        }
        var context = new TtrpcCallContext(
            request.Service,
            request.Method,
            request.Metadata.Select(kv => KeyValuePair.Create(kv.Key, kv.Value)).ToList(),
            deadline.Token);
        Response response;
        try
        {
            var handler = _registry.Resolve(request.Service, request.Method);
            IMessage result = await handler(context, request.Payload.ToByteArray());
            response = new Response { Status = new Status { Code = 0 }, Payload = result.ToByteString() };
        }
        catch (TtrpcException e)
        {
            response = ErrorResponse(e);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !_closing.IsCancellationRequested)
        {
            response = ErrorResponse(new TtrpcException(TtrpcStatusCode.DeadlineExceeded, $"{request.Service}/{request.Method}: deadline exceeded"));
        }
        catch (Exception e)
        {
            response = ErrorResponse(_errors.Translate(e));
        }
        await WriteResponseAsync(streamId, response);
    }

    private Task RespondAsync(uint streamId, TtrpcException error) => WriteResponseAsync(streamId, ErrorResponse(error));

    private static Response ErrorResponse(TtrpcException error) =>
        new() { Status = new Status { Code = (int)error.Code, Message = error.Message } };

    private async Task WriteResponseAsync(uint streamId, Response response)
    {
        try
        {
            await _channel.WriteFrameAsync(streamId, TtrpcMessageType.Response, response.ToByteArray(), CancellationToken.None);
        }
        catch (TtrpcException e) when (e.Code == TtrpcStatusCode.ResourceExhausted)
        {
            var refusal = ErrorResponse(new TtrpcException(TtrpcStatusCode.ResourceExhausted, e.Message));
            await TryWriteAsync(streamId, refusal);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Connection gone: the caller will see ttrpc's "closed" and containerd cleans up.
        }
    }

    private async Task TryWriteAsync(uint streamId, Response response)
    {
        try
        {
            await _channel.WriteFrameAsync(streamId, TtrpcMessageType.Response, response.ToByteArray(), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}
