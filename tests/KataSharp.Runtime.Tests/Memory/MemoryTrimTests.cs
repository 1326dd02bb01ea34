using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Memory;
using KataSharp.Runtime.Model;
using Xunit;

namespace KataSharp.Runtime.Tests.Memory;

/// <summary>
/// The trim once a pod is quiet: never inside the call that reports a start, once for starts that follow each other
/// within the quiet period, the VMM's after the shim's, and never two within <see cref="MemoryTrim.MinimumInterval"/>
/// however many starts come. The waits are the test's own.
/// </summary>
public sealed class MemoryTrimTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ManualWaits _waits = new();
    private readonly List<string> _trims = [];
    private readonly MemoryTrim _trim;

    public MemoryTrimTests() => _trim = new MemoryTrim(RuntimeLog.Null, TrimVmm, _waits.Wait, () => Record("shim"));

    private Func<Task> _vmmTrim = () => Task.CompletedTask;

    private Task TrimVmm()
    {
        Record("vmm");
        return _vmmTrim();
    }

    private void Record(string who)
    {
        lock (_trims)
        {
            _trims.Add(who);
        }
    }

    private string[] Trims()
    {
        lock (_trims)
        {
            return [.. _trims];
        }
    }

    [Fact]
    public async Task A_start_trims_the_shim_then_the_vmm_only_after_the_quiet_period()
    {
        Task? run = _trim.Started();

        Assert.NotNull(run);
        Assert.Equal(MemoryTrim.QuietPeriod, await _waits.BeganAsync());
        Assert.Empty(Trims());
        _waits.EndLatest();
        Assert.Equal(MemoryTrim.MinimumInterval, await _waits.BeganAsync());
        Assert.Equal(["shim", "vmm"], Trims());
        _waits.EndLatest();
        await run.WaitAsync(Patience);
    }

    [Fact]
    public async Task Starts_within_the_quiet_period_make_one_trim_after_the_last_of_them()
    {
        Task? run = _trim.Started();
        Assert.NotNull(run);
        Assert.Equal(MemoryTrim.QuietPeriod, await _waits.BeganAsync());
        Assert.Null(_trim.Started());
        Assert.Null(_trim.Started());
        _waits.EndLatest();

        // The later starts restart the quiet period instead of trimming.
        Assert.Equal(MemoryTrim.QuietPeriod, await _waits.BeganAsync());
        Assert.Empty(Trims());
        _waits.EndLatest();
        Assert.Equal(MemoryTrim.MinimumInterval, await _waits.BeganAsync());
        _waits.EndLatest();
        await run.WaitAsync(Patience);
        Assert.Equal(["shim", "vmm"], Trims());
        Assert.Equal(3, _trim.Activities);
    }

    [Fact]
    public async Task Starts_after_a_trim_wait_for_the_minimum_interval_and_make_one_more_trim()
    {
        Task? run = _trim.Started();
        await _waits.BeganAsync();
        _waits.EndLatest();
        Assert.Equal(MemoryTrim.MinimumInterval, await _waits.BeganAsync());

        // A client starting exec after exec: none trims now, and none starts a run of its own.
        for (int i = 0; i < 50; i++)
        {
            Assert.Null(_trim.Started());
        }
        Assert.Equal(2, Trims().Length);
        _waits.EndLatest();

        Assert.Equal(MemoryTrim.QuietPeriod, await _waits.BeganAsync());
        _waits.EndLatest();
        Assert.Equal(MemoryTrim.MinimumInterval, await _waits.BeganAsync());
        Assert.Equal(["shim", "vmm", "shim", "vmm"], Trims());
        _waits.EndLatest();
        await run!.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_start_after_a_quiet_interval_begins_a_new_run()
    {
        Task? first = _trim.Started();
        await _waits.BeganAsync();
        _waits.EndLatest();
        await _waits.BeganAsync();
        _waits.EndLatest();
        await first!.WaitAsync(Patience);

        Task? second = _trim.Started();

        Assert.NotNull(second);
        Assert.Equal(MemoryTrim.QuietPeriod, await _waits.BeganAsync());
        _waits.EndLatest();
        await _waits.BeganAsync();
        _waits.EndLatest();
        await second.WaitAsync(Patience);
        Assert.Equal(4, Trims().Length);
    }

    [Fact]
    public async Task A_vmm_that_cannot_trim_does_not_end_the_runs()
    {
        _vmmTrim = () => Task.FromException(new RuntimeException(RuntimeError.Unavailable, "the VMM did not answer"));
        Task? run = _trim.Started();
        await _waits.BeganAsync();
        _waits.EndLatest();

        Assert.Equal(MemoryTrim.MinimumInterval, await _waits.BeganAsync());
        Assert.Null(_trim.Started());
        _waits.EndLatest();
        await _waits.BeganAsync();
        _waits.EndLatest();
        await _waits.BeganAsync();
        _waits.EndLatest();
        await run!.WaitAsync(Patience);
        Assert.Equal(["shim", "vmm", "shim", "vmm"], Trims());
    }

    [Fact]
    public async Task A_shim_trim_that_fails_is_logged_and_the_vmm_is_still_asked()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: false);
        int vmmTrims = 0;
        var trim = new MemoryTrim(root, () => { Interlocked.Increment(ref vmmTrims); return Task.CompletedTask; }, _ => Task.CompletedTask,
            () => throw new IOException("/proc/self/smaps: no such file"));

        await trim.Started()!.WaitAsync(Patience);

        Assert.Equal(1, vmmTrims);
        Assert.True(root.Flush(Patience));
        Assert.Contains("memory trim: the shim did not trim: /proc/self/smaps: no such file", output.ToString());
        // The run ended as usual: the next start begins another.
        Task? next = trim.Started();
        Assert.NotNull(next);
        await next.WaitAsync(Patience);
        Assert.Equal(2, vmmTrims);
    }

    [Fact]
    public async Task The_shims_own_trim_logs_its_heap_before_and_after_and_the_pages_it_releases_at_debug_level()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        // The real trim of this process: a compacting collection, and its executable's unused pages released.
        var trim = new MemoryTrim(root.ForSandbox("pod-1"), wait: _ => Task.CompletedTask);

        await trim.Started()!.WaitAsync(Patience);

        Assert.True(root.Flush(Patience));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("msg=\"gc heap: before compaction\"", lines[0]);
        Assert.Contains("msg=\"gc heap: after compaction\"", lines[1]);
        Assert.Contains("msg=\"memory trim: releasing the executable's pages\"", lines[2]);
        Assert.Matches(" image_resident_kib=[0-9]+ ", lines[2]);
        Assert.All(lines, line =>
        {
            Assert.Contains("level=debug", line);
            Assert.Contains("sandbox=\"pod-1\"", line);
        });
        Assert.All(lines[..2], line => Assert.Matches(" heap_kib=[0-9]+ committed_kib=[0-9]+ fragmented_kib=[0-9]+ promoted_kib=[0-9]+ ", line));
    }

    /// <summary>Waits the test ends by hand, each with the time it was asked to wait.</summary>
    private sealed class ManualWaits
    {
        private readonly object _lock = new();
        private readonly List<TaskCompletionSource> _waits = [];
        private readonly System.Threading.Channels.Channel<TimeSpan> _began = System.Threading.Channels.Channel.CreateUnbounded<TimeSpan>();

        public Task Wait(TimeSpan time)
        {
            var wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _waits.Add(wait);
            }
            _began.Writer.TryWrite(time);
            return wait.Task;
        }

        /// <summary>Returns, once one more wait has begun, the time it waits.</summary>
        public async Task<TimeSpan> BeganAsync()
        {
            using var timeout = new CancellationTokenSource(Patience);
            return await _began.Reader.ReadAsync(timeout.Token);
        }

        public void EndLatest()
        {
            lock (_lock)
            {
                _waits[^1].SetResult();
            }
        }
    }
}
