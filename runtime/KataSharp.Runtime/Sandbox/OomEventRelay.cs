using System.Threading.Channels;
using System.Threading.RateLimiting;
using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// Between the guest's OOM event stream and containerd. The guest names the container, so an event
/// is only passed on for a container this shim runs (<c>owns</c>); at most one per container waits
/// at a time, the queue holds at most <see cref="Capacity"/>, and events leave at most at a token
/// bucket's rate (a burst of <see cref="Burst"/>, then <see cref="PerSecond"/>/s). Everything else
/// is dropped and counted, so a guest spamming events grows nothing and floods nobody.
/// </summary>
public sealed class OomEventRelay : IAsyncDisposable
{
    public const int Capacity = 16;
    public const int Burst = 10;
    public const int PerSecond = 1;

    private const int MaxIdInLog = 128;

    private readonly Func<string, bool> _owns;
    private readonly Action<string> _forward;
    private readonly RuntimeLog _log;
    private readonly Channel<string> _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly TokenBucketRateLimiter _rate = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = Burst,
        TokensPerPeriod = PerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        AutoReplenishment = true,
        QueueLimit = 1,
    });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _warnedUnknown;

    /// <param name="owns">True for a container id this shim runs (asked again before forwarding).</param>
    /// <param name="forward">Publishes the event; called from the relay's own loop, one at a time.</param>
    public OomEventRelay(Func<string, bool> owns, Action<string> forward, RuntimeLog log)
    {
        _owns = owns;
        _forward = forward;
        _log = log;
        _loop = Task.Run(ForwardLoopAsync);
    }

    /// <summary>An event from the guest. Never blocks.</summary>
    public void Offer(string containerId)
    {
        if (!_owns(containerId))
        {
            _log.Drops.CountIgnoredOomEvent();
            if (Interlocked.Exchange(ref _warnedUnknown, 1) == 0)
            {
                _log.Warn($"the guest reported an OOM kill in container \"{UntrustedText.Escape(containerId, MaxIdInLog)}\", which this shim does not run: ignored (further ones are only counted)");
            }
            return;
        }
        lock (_pending)
        {
            if (!_pending.Add(containerId))
            {
                _log.Drops.CountDroppedOomEvent(); // one for this container is on its way already
                return;
            }
        }
        if (!_queue.Writer.TryWrite(containerId))
        {
            lock (_pending)
            {
                _pending.Remove(containerId);
            }
            _log.Drops.CountDroppedOomEvent();
        }
    }

    private async Task ForwardLoopAsync()
    {
        try
        {
            await foreach (string containerId in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                using RateLimitLease lease = await _rate.AcquireAsync(1, _stop.Token);
                lock (_pending)
                {
                    _pending.Remove(containerId);
                }
                if (_owns(containerId))
                {
                    _forward(containerId);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: queued events go with the sandbox.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _rate.Dispose();
        _stop.Dispose();
    }
}
