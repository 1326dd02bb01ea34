using Grpc.Core;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

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
        bool unreachable = e.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled || IsTransportFailure(e);
        string reason = unreachable
            ? $"the guest agent is unreachable ({detail}); is the VM still running?"
            : detail;
        return new RuntimeException(unreachable ? RuntimeError.Unavailable : Classify(e.StatusCode), $"{operation}: {reason}", e);
    }

    /// <summary>
    /// The HTTP/2 connection itself failed (an unanswered keepalive PING, a reset stream): gRPC reports
    /// some of these as Internal, but they say nothing about the request, only that the guest is unreachable.
    /// </summary>
    private static bool IsTransportFailure(RpcException e) =>
        e.StatusCode is StatusCode.Internal or StatusCode.Unknown && e.Status.DebugException is HttpRequestException or IOException;
}
