using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Ttrpc;

namespace KataSharp.Runtime.Tasks;

/// <summary>
/// The one table from runtime errors to ttrpc status codes (containerd errdefs/grpc.go), so
/// containerd sees NotFound for a dead process, FailedPrecondition for a wrong state, and so on.
/// </summary>
public sealed class RuntimeErrorStatus : ITtrpcErrorTranslator
{
    private static readonly Dictionary<RuntimeError, TtrpcStatusCode> Codes = new()
    {
        [RuntimeError.NotFound] = TtrpcStatusCode.NotFound,
        [RuntimeError.AlreadyExists] = TtrpcStatusCode.AlreadyExists,
        [RuntimeError.FailedPrecondition] = TtrpcStatusCode.FailedPrecondition,
        [RuntimeError.InvalidArgument] = TtrpcStatusCode.InvalidArgument,
        [RuntimeError.NotImplemented] = TtrpcStatusCode.Unimplemented,
        [RuntimeError.Unavailable] = TtrpcStatusCode.Unavailable,
        [RuntimeError.DeadlineExceeded] = TtrpcStatusCode.DeadlineExceeded,
        [RuntimeError.Internal] = TtrpcStatusCode.Internal,
    };

    public static TtrpcStatusCode CodeOf(RuntimeError error) => Codes[error];

    public TtrpcException Translate(Exception exception) => exception switch
    {
        TtrpcException ttrpc => ttrpc,
        RuntimeException runtime => new TtrpcException(CodeOf(runtime.Error), runtime.Message),
        ConfigurationException config => new TtrpcException(TtrpcStatusCode.InvalidArgument, config.Message),
        OperationCanceledException => new TtrpcException(TtrpcStatusCode.Canceled, exception.Message),
        _ => new TtrpcException(TtrpcStatusCode.Unknown, exception.Message),
    };
}
