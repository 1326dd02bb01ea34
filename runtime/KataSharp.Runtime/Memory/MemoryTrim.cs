using System.Globalization;
using KataSharp.Linux;
using KataSharp.Linux.Memory;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Memory;

/// <summary>
/// Gives back, once a pod goes quiet, what its last burst of work left in the shim's and the VMM's memory (issue 15):
/// <list type="number">
/// <item>one aggressive, compacting full collection: starting a container allocates most (configuration, bundle, layer
/// images, the agent's connection), and with a 512 KiB gen0 budget (the shim's GcBudget) what survives a gen0
/// collection piles up in gen1, which is rarely collected. Measured in the nested test host: 3.8 MiB of heap with
/// 6.3 MiB committed after a pod's start, 1.9 MiB with 1.9 MiB committed after this collection;</item>
/// <item>the shim binary's pages it no longer uses (<see cref="ExecutableImagePages"/>): fault-around had mapped
/// 11 of its 13 MiB by the end of a start, 4 MiB stay mapped while the pod is quiet;</item>
/// <item>the same two in the VMM process, asked for through <paramref name="trimVmm"/>.</item>
/// </list>
/// <para>
/// When: <see cref="QuietPeriod"/> after the last container start or exec start, so never inside a request containerd
/// waits for, and a CRI pod whose containers start one after another is trimmed once, after the last. Then the next
/// trim comes no sooner than <see cref="MinimumInterval"/> after this one, however many execs a client (or a probe)
/// starts: a busy pod trims at most once a minute, a few milliseconds of collection and the page faults of mapping its
/// binary's pages again. Only the host's clients start containers and execs; nothing the guest sends makes a trim.
/// </para>
/// </summary>
public sealed class MemoryTrim
{
    /// <summary>How long after the last start the trim runs: past its reply and the calls after it.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);

    /// <summary>The least time from one trim to the next.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(60);

    private readonly RuntimeLog _log;
    private readonly Func<TimeSpan, Task> _wait;
    private readonly Action _trimShim;
    private readonly Func<Task> _trimVmm;
    private readonly object _lock = new();
    private long _activities;
    private bool _pending;

    /// <param name="trimVmm">Asks the VMM process to trim itself (nothing when the VMM runs inside the shim).</param>
    /// <param name="wait">Waits the given time (tests pass their own waits).</param>
    /// <param name="trimShim">The shim's own trim (tests pass their own).</param>
    public MemoryTrim(RuntimeLog log, Func<Task>? trimVmm = null, Func<TimeSpan, Task>? wait = null, Action? trimShim = null)
    {
        _log = log;
        _trimVmm = trimVmm ?? (() => Task.CompletedTask);
        _wait = wait ?? (time => Task.Delay(time));
        _trimShim = trimShim ?? TrimThisProcess;
    }

    /// <summary>How many starts were reported (tests read it).</summary>
    public long Activities
    {
        get
        {
            lock (_lock)
            {
                return _activities;
            }
        }
    }

    /// <summary>A container's init or an exec started: trim once nothing has started for <see cref="QuietPeriod"/>, and
    /// not sooner than <see cref="MinimumInterval"/> after the last trim. Returns at once.</summary>
    /// <returns>The run that will trim, or null when one is already under way (it now also waits for this start).</returns>
    public Task? Started()
    {
        lock (_lock)
        {
            _activities++;
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
        while (true)
        {
            long seen;
            do
            {
                seen = Activities;
                await _wait(QuietPeriod).ConfigureAwait(false);
            }
            while (Activities != seen);

            try
            {
                _trimShim();
            }
            catch (Exception e) when (e is LinuxException or IOException or UnauthorizedAccessException)
            {
                // A /proc without smaps, say: the pod runs on as before, the trim waits for the next activity.
                _log.Warn($"memory trim: the shim did not trim: {e.Message}");
            }
            try
            {
                await _trimVmm().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RuntimeException or LinuxException or IOException)
            {
                _log.Debug($"memory trim: the VMM did not trim: {e.Message}");
            }

            // Starts during the interval are trimmed for after it; none, and the next start begins a new run.
            seen = Activities;
            await _wait(MinimumInterval).ConfigureAwait(false);
            lock (_lock)
            {
                if (_activities == seen)
                {
                    _pending = false;
                    return;
                }
            }
        }
    }

    /// <summary>The trim's collection, the same in the shim and in the VMM process: full, blocking, compacting, and
    /// aggressive, so the GC also gives back the memory it had kept committed for later.</summary>
    public static void CompactHeap() => GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private void TrimThisProcess()
    {
        // Found first: reading smaps makes garbage the collection then takes.
        IReadOnlyList<ImageRange> image = ExecutableImagePages.FindUnmodifiedReadOnlyRanges();
        GcHeapReport.Log(_log, "before compaction");
        CompactHeap();
        GcHeapReport.Log(_log, "after compaction");
        if (_log.IsDebugEnabled)
        {
            _log.Debug("memory trim: releasing the executable's pages", null,
                [new LogField("image_resident_kib", image.Sum(r => r.ResidentKib).ToString(CultureInfo.InvariantCulture))]);
        }
        // Last, so the collection's and the log's own code is not mapped again right away.
        ExecutableImagePages.Release(image);
    }
}
