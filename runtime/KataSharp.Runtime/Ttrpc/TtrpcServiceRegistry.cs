using Google.Protobuf;

namespace KataSharp.Runtime.Ttrpc;

/// <summary>
/// Service name → method name → handler. Handlers get their request already parsed; an
/// unparsable payload is answered with InvalidArgument before the handler runs.
/// </summary>
public sealed class TtrpcServiceRegistry
{
    private readonly Dictionary<string, Dictionary<string, Func<TtrpcCallContext, byte[], Task<IMessage>>>> _services = new(StringComparer.Ordinal);

    public void Add<TRequest, TResponse>(string service, string method, MessageParser<TRequest> parser, Func<TRequest, TtrpcCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        if (!_services.TryGetValue(service, out var methods))
        {
            methods = new Dictionary<string, Func<TtrpcCallContext, byte[], Task<IMessage>>>(StringComparer.Ordinal);
            _services.Add(service, methods);
        }
        methods.Add(method, async (context, payload) =>
        {
            TRequest request;
            try
            {
                request = parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new TtrpcException(TtrpcStatusCode.InvalidArgument, $"{service}/{method}: malformed request: {e.Message}");
            }
            return await handler(request, context);
        });
    }

    /// <summary>Finds the handler, or throws Unimplemented exactly as ttrpc's services.go words it.</summary>
    public Func<TtrpcCallContext, byte[], Task<IMessage>> Resolve(string service, string method)
    {
        if (!_services.TryGetValue(service, out var methods))
        {
            throw new TtrpcException(TtrpcStatusCode.Unimplemented, $"service {service}");
        }
        if (!methods.TryGetValue(method, out var handler))
        {
            throw new TtrpcException(TtrpcStatusCode.Unimplemented, $"method {method}");
        }
        return handler;
    }
}
