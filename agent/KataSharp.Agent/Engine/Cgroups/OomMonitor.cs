using System.Threading.Channels;
using KataSharp.Agent.Engine.Io;
using KataSharp.Linux.Events;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>
/// Watches every container's memory.events with one inotify instance and publishes an
/// <see cref="OomNotice"/> to every subscriber when a container's oom_kill counter grows.
/// </summary>
public sealed class OomMonitor : IDisposable
{
    private readonly object _lock = new();
    private readonly Inotify _inotify = Inotify.Create();
    private readonly Dictionary<int, Watched> _watches = [];
    private readonly List<Channel<OomNotice>> _subscribers = [];
    private readonly FdPoller _poller;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private sealed class Watched(string containerId, string file, ulong kills)
    {
        public string ContainerId { get; } = containerId;
        public string File { get; } = file;
        public ulong Kills { get; set; } = kills;
    }

    public OomMonitor(FdPoller poller, ILogger logger)
    {
        _poller = poller;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts watching a container's memory.events (nothing happens without the memory controller).</summary>
    public void Watch(string containerId, string memoryEvents)
    {
        if (!File.Exists(memoryEvents))
        {
            return;
        }
        lock (_lock)
        {
            int wd = _inotify.AddWatch(memoryEvents, Inotify.Modify);
            _watches[wd] = new Watched(containerId, memoryEvents, OomKills(memoryEvents));
        }
    }

    public void Unwatch(string containerId)
    {
        lock (_lock)
        {
            foreach ((int wd, Watched w) in _watches.Where(p => p.Value.ContainerId == containerId).ToList())
            {
                _inotify.RemoveWatch(wd);
                _watches.Remove(wd);
            }
        }
    }

    /// <summary>OOM kills from now on, until <paramref name="cancellationToken"/> ends the subscription.</summary>
    public async IAsyncEnumerable<OomNotice> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<OomNotice>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock)
        {
            _subscribers.Add(channel);
        }
        try
        {
            await foreach (OomNotice notice in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return notice;
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _poller.WaitReadableAsync(_inotify.Descriptor, _stop.Token).ConfigureAwait(false);
                List<InotifyEvent> events = _inotify.ReadEvents();
                lock (_lock)
                {
                    foreach (int wd in events.Select(e => e.Watch).Distinct())
                    {
                        if (!_watches.TryGetValue(wd, out Watched? w) || !File.Exists(w.File))
                        {
                            continue;
                        }
                        ulong kills = OomKills(w.File);
                        if (kills > w.Kills)
                        {
                            w.Kills = kills;
                            var notice = new OomNotice(w.ContainerId, kills, DateTimeOffset.UtcNow);
                            _logger.LogWarning("container {Id}: OOM kill (oom_kill = {Kills})", w.ContainerId, kills);
                            foreach (Channel<OomNotice> subscriber in _subscribers)
                            {
                                subscriber.Writer.TryWrite(notice);
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is IOException or Linux.LinuxException)
            {
                _logger.LogWarning(e, "reading memory.events failed");
            }
        }
    }

    private static ulong OomKills(string memoryEvents) =>
        CgroupStatistics.KeyValues(Path.GetDirectoryName(memoryEvents)!, Path.GetFileName(memoryEvents)).GetValueOrDefault("oom_kill");

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _poller.Forget(_inotify.Descriptor);
        _inotify.Dispose();
        _stop.Dispose();
    }
}
