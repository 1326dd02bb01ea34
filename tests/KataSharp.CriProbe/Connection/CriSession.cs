using Grpc.Core;
using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Connection;

/// <summary>The two CRI services on one channel, and the deadline every call of this run gets.</summary>
internal sealed class CriSession(RuntimeService.RuntimeServiceClient runtime, ImageService.ImageServiceClient images, TimeSpan callTimeout)
{
    public RuntimeService.RuntimeServiceClient Runtime { get; } = runtime;

    public ImageService.ImageServiceClient Images { get; } = images;

    /// <summary>--call-timeout: also the bound on a whole streaming session (exec, attach, port-forward).</summary>
    public TimeSpan CallTimeout { get; } = callTimeout;

    /// <summary>Options for one call: a fresh deadline (nested TCG makes VM boots slow: callers pass generous timeouts).</summary>
    public CallOptions Call() => new(deadline: DateTime.UtcNow.Add(CallTimeout));
}
