using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Memory;
using Xunit;

namespace KataSharp.Runtime.Tests.Memory;

/// <summary>
/// The compaction after a pod's start: never inside the call that reports a start, once for starts that follow each
/// other within the quiet period, and again only for a container started after it ran. The waits are the test's own.
/// </summary>
public sealed class HeapCompactionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ManualWaits _waits = new();
    private readonly HeapCompaction _compaction;
    private int _collections;

    public HeapCompactionTests() => _compaction = new HeapCompaction(RuntimeLog.Null, _waits.Wait, () => Interlocked.Increment(ref _collections));

    [Fact]
    public async Task A_start_collects_only_after_the_quiet_period()
    {

        Task? run = _compaction.ContainerStarted();

        Assert.NotNull(run);
        await _waits.BeganAsync();
        Assert.Equal(0, _collections);
        _waits.EndLatest();
        await run.WaitAsync(Patience);
        Assert.Equal(1, _collections);
    }

    [Fact]
    public async Task Starts_within_the_quiet_period_make_one_collection_after_the_last_of_them()
    {

        Task? run = _compaction.ContainerStarted();
        Assert.NotNull(run);
        await _waits.BeganAsync();
        Assert.Null(_compaction.ContainerStarted());
        Assert.Null(_compaction.ContainerStarted());
        _waits.EndLatest();

        // The later starts restart the quiet period instead of collecting.
        await _waits.BeganAsync();
        Assert.Equal(0, _collections);
        _waits.EndLatest();
        await run.WaitAsync(Patience);
        Assert.Equal(1, _collections);
        Assert.Equal(2, _waits.Count);
        Assert.Equal(3, _compaction.Starts);
    }

    [Fact]
    public async Task A_container_started_after_the_collection_makes_another()
    {
        Task? first = _compaction.ContainerStarted();
        await _waits.BeganAsync();
        _waits.EndLatest();
        await first!.WaitAsync(Patience);

        Task? second = _compaction.ContainerStarted();

        Assert.NotNull(second);
        await _waits.BeganAsync();
        _waits.EndLatest();
        await second.WaitAsync(Patience);
        Assert.Equal(2, _collections);
    }

    [Fact]
    public async Task The_heap_is_logged_at_debug_level_before_and_after_with_the_sandbox()
    {
        var output = new StringWriter();
        using var root = new RuntimeLog(output, debug: true);
        var compaction = new HeapCompaction(root.ForSandbox("pod-1"), () => Task.CompletedTask, () => { });

        await compaction.ContainerStarted()!.WaitAsync(Patience);

        Assert.True(root.Flush(Patience));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("msg=\"gc heap: before compaction\"", lines[0]);
        Assert.Contains("msg=\"gc heap: after compaction\"", lines[1]);
        Assert.All(lines, line =>
        {
            Assert.Contains("level=debug", line);
            Assert.Contains("sandbox=\"pod-1\"", line);
            Assert.Matches(" heap_kib=[0-9]+ committed_kib=[0-9]+ fragmented_kib=[0-9]+ promoted_kib=[0-9]+ ", line);
        });
    }

    /// <summary>Quiet-period waits the test ends by hand.</summary>
    private sealed class ManualWaits
    {
        private readonly object _lock = new();
        private readonly List<TaskCompletionSource> _waits = [];
        private readonly SemaphoreSlim _began = new(0);

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _waits.Count;
                }
            }
        }

        public Task Wait()
        {
            var wait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _waits.Add(wait);
            }
            _began.Release();
            return wait.Task;
        }

        /// <summary>Returns once one more wait has begun.</summary>
        public async Task BeganAsync() => Assert.True(await _began.WaitAsync(Patience), "no quiet-period wait began");

        public void EndLatest()
        {
            lock (_lock)
            {
                _waits[^1].SetResult();
            }
        }
    }
}
