using Grpc.Core;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Tasks;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The agent's gRPC status codes as the runtime's error classes, so containerd sees the same class
/// the agent meant (NOT_FOUND stays not found, a dead VM is unavailable). One place, every call.
/// </summary>
public static class AgentErrors
{
    public static RuntimeError Classify(StatusCode code) => code switch
    {
        StatusCode.NotFound => RuntimeError.NotFound,
        StatusCode.AlreadyExists => RuntimeError.AlreadyExists,
        StatusCode.FailedPrecondition => RuntimeError.FailedPrecondition,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => RuntimeError.InvalidArgument,
        StatusCode.Unimplemented => RuntimeError.NotImplemented,
        StatusCode.DeadlineExceeded => RuntimeError.DeadlineExceeded,
        StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Aborted => RuntimeError.Unavailable,
        _ => RuntimeError.Internal,
    };

    /// <summary>The longest status detail from the agent kept in an error message.</summary>
    public const int MaxDetailLength = 1024;

    /// <summary>
    /// The status detail the agent sent — guest text, so escaped and capped before it goes into an
    /// error message containerd shows — or the status code when there is none.
    /// </summary>
    public static string Detail(RpcException e) =>
        string.IsNullOrEmpty(e.Status.Detail) ? e.StatusCode.ToString() : UntrustedText.Escape(e.Status.Detail, MaxDetailLength);

    public static RuntimeException Translate(RpcException e, string operation)
    {
        string detail = Detail(e);
        string reason = e.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled
            ? $"the guest agent is unreachable ({detail}); is the VM still running?"
            : detail;
        return new RuntimeException(Classify(e.StatusCode), $"{operation}: {reason}", e);
    }

    /// <summary>Runs one agent call, turning its status into a <see cref="RuntimeException"/>.</summary>
    public static async Task<T> CallAsync<T>(string operation, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            throw Translate(e, operation);
        }
    }
}
