using Grpc.Core;
using Grpc.Core.Interceptors;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Protocol;
using KataSharp.Linux;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Services;

/// <summary>
/// The one place engine errors become gRPC statuses: <see cref="AgentErrorCode"/> → status code in
/// one table, the offending field in the "katasharp-error-field" trailer; anything unexpected is
/// INTERNAL with its message (and logged), never a bare "Exception was thrown by handler".
/// </summary>
public sealed class ErrorMapping(ILogger<ErrorMapping> logger) : Interceptor
{
    public static StatusCode ToStatus(AgentErrorCode code) => code switch
    {
        AgentErrorCode.NotFound => StatusCode.NotFound,
        AgentErrorCode.AlreadyExists => StatusCode.AlreadyExists,
        AgentErrorCode.FailedPrecondition => StatusCode.FailedPrecondition,
        AgentErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        _ => StatusCode.Internal,
    };

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    private RpcException Map(Exception e, ServerCallContext context)
    {
        switch (e)
        {
            case AgentException a:
                if (a.Field is not null)
                {
                    context.ResponseTrailers.Add(AgentProtocolConstants.ErrorFieldTrailer, a.Field);
                }
                if (a.Code == AgentErrorCode.Internal)
                {
                    logger.LogError(a, "{Method} failed", context.Method);
                }
                return new RpcException(new Status(ToStatus(a.Code), a.Message));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
            default:
                logger.LogError(e, "{Method} failed unexpectedly", context.Method);
                string message = e is LinuxException or IOException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                return new RpcException(new Status(StatusCode.Internal, message));
        }
    }
}
