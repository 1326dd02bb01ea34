using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Memory;

/// <summary>
/// One aggressive, compacting full collection when a pod's start is over (issue 15). Starting a container is when the
/// shim allocates most (configuration, bundle, layer images, the agent's connection), and with a 512 KiB gen0 budget
/// (the shim's GcBudget) what survives a gen0 collection piles up in gen1, which is rarely collected: measured in the
/// nested test host, the heap held 3.8 MiB with 6.3 MiB committed after a pod's start, 1.9 MiB with 1.9 MiB committed
/// after this collection, and the shim's RssAnon fell by 4 MiB.
/// <para>
/// When: <see cref="QuietPeriod"/> after the last container's init started, so never inside a request containerd waits
/// for, and a CRI pod whose containers start one after another is compacted once after the last of them. Execs never
/// ask for it: a client or a workload that starts many execs cannot make the shim collect again and again. Only
/// container starts can, and each one costs the pod far more (a layer image, a container in the guest) than a
/// collection of a few MiB of heap.
/// </para>
/// </summary>
public sealed class HeapCompaction
{
    /// <summary>How long after the last container start the collection runs: past its reply and the calls after it.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);

    private readonly RuntimeLog _log;
    private readonly Func<Task> _waitQuietPeriod;
    private readonly Action _collect;
    private readonly object _lock = new();
    private long _starts;
    private bool _pending;

    /// <param name="waitQuietPeriod">Waits <see cref="QuietPeriod"/> (tests pass their own waits).</param>
    /// <param name="collect">The collection (tests pass their own).</param>
    public HeapCompaction(RuntimeLog log, Func<Task>? waitQuietPeriod = null, Action? collect = null)
    {
        _log = log;
        _waitQuietPeriod = waitQuietPeriod ?? (() => Task.Delay(QuietPeriod));
        _collect = collect ?? CollectAggressively;
    }

    /// <summary>How many container starts were reported (tests read it).</summary>
    public long Starts
    {
        get
        {
            lock (_lock)
            {
                return _starts;
            }
        }
    }

    /// <summary>A container's init started: collect once no other has started for <see cref="QuietPeriod"/>. Returns at once.</summary>
    /// <returns>The run that will collect, or null when one is already waiting (it now waits for this start too).</returns>
    public Task? ContainerStarted()
    {
        lock (_lock)
        {
            _starts++;
            if (_pending)
            {
                return null;
            }
            _pending = true;
        }
        return Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        long seen;
        do
        {
            lock (_lock)
            {
                seen = _starts;
            }
            await _waitQuietPeriod().ConfigureAwait(false);
        }
        while (!QuietSince(seen));

        GcHeapReport.Log(_log, "before compaction");
        _collect();
        GcHeapReport.Log(_log, "after compaction");
    }

    /// <summary>True, and the next start schedules a new run, when no container started since <paramref name="seen"/>.</summary>
    private bool QuietSince(long seen)
    {
        lock (_lock)
        {
            if (_starts != seen)
            {
                return false;
            }
            _pending = false;
            return true;
        }
    }

    private static void CollectAggressively() =>
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
