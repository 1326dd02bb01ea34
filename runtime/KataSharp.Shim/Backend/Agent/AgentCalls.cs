using Grpc.Core;
using KataSharp.Runtime.Model;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The rules every call to the guest agent follows, in one place. A request (create, start, signal,
/// stats...) has a deadline ([agent] request_timeout_seconds), so a hung guest cannot hold the
/// sandbox's gates for ever. A wait for a process or a stdio stream has none (it lasts as long as the
/// process), but every call, with or without a deadline, ends as soon as the VM is gone: nothing on the
/// host waits for an answer from a dead guest. Failures become <see cref="RuntimeException"/>s whose
/// class is the one containerd should see.
/// </summary>
public sealed class AgentCalls
{
    private readonly TimeSpan _requestTimeout;
    private readonly CancellationToken _vmGone;
    private readonly Func<string> _whyGone;

    /// <param name="vmGone">Cancelled when the VM stops, for whatever reason.</param>
    /// <param name="whyGone">Why the VM stopped, for the errors of the calls it ended.</param>
    public AgentCalls(TimeSpan requestTimeout, CancellationToken vmGone, Func<string> whyGone)
    {
        _requestTimeout = requestTimeout;
        _vmGone = vmGone;
        _whyGone = whyGone;
    }

    /// <summary>A request: answered within the request timeout, or DeadlineExceeded naming the key.</summary>
    public Task<T> RequestAsync<T>(string operation, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken) =>
        CallAsync(operation, call, DateTime.UtcNow + _requestTimeout, cancellationToken);

    /// <summary>A call that lasts as long as what it waits for (a process's exit): no deadline, ends with the VM.</summary>
    public Task<T> WaitAsync<T>(string operation, Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken) =>
        CallAsync(operation, call, deadline: null, cancellationToken);

    /// <summary>Options for a streaming call (stdio, events): no deadline, cancelled when the VM goes.</summary>
    public CallOptions StreamOptions() => new(cancellationToken: _vmGone);

    private async Task<T> CallAsync<T>(string operation, Func<CallOptions, AsyncUnaryCall<T>> call, DateTime? deadline, CancellationToken cancellationToken)
    {
        ThrowIfVmGone(operation);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _vmGone);
        try
        {
            using AsyncUnaryCall<T> pending = call(new CallOptions(deadline: deadline, cancellationToken: linked.Token));
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            ThrowIfVmGone(operation);
            cancellationToken.ThrowIfCancellationRequested();
            if (e.StatusCode == StatusCode.DeadlineExceeded && deadline is not null)
            {
                throw new RuntimeException(RuntimeError.DeadlineExceeded,
                    $"{operation}: the guest agent did not answer within {_requestTimeout.TotalSeconds:0} s ([agent] request_timeout_seconds)", e);
            }
            throw AgentErrors.Translate(e, operation);
        }
    }

    private void ThrowIfVmGone(string operation)
    {
        if (_vmGone.IsCancellationRequested)
        {
            throw new RuntimeException(RuntimeError.Unavailable, $"{operation}: the sandbox VM is gone ({_whyGone()})");
        }
    }
}
