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

    [Fact]
    public async Task A_start_collects_only_after_the_quiet_period()
    {
        var waits = new ManualWaits();
        int collections = 0;
        var compaction = new HeapCompaction(RuntimeLog.Null, waits.Wait, () => Interlocked.Increment(ref collections));

        Task? run = compaction.ContainerStarted();

        Assert.NotNull(run);
        await waits.BeganAsync();
        Assert.Equal(0, collections);
        waits.EndLatest();
        await run.WaitAsync(Patience);
        Assert.Equal(1, collections);
    }

    [Fact]
    public async Task Starts_within_the_quiet_period_make_one_collection_after_the_last_of_them()
    {
        var waits = new ManualWaits();
        int collections = 0;
        var compaction = new HeapCompaction(RuntimeLog.Null, waits.Wait, () => Interlocked.Increment(ref collections));

        Task? run = compaction.ContainerStarted();
        Assert.NotNull(run);
        await waits.BeganAsync();
        Assert.Null(compaction.ContainerStarted());
        Assert.Null(compaction.ContainerStarted());
        waits.EndLatest();

        // The later starts restart the quiet period instead of collecting.
        await waits.BeganAsync();
        Assert.Equal(0, collections);
        waits.EndLatest();
        await run.WaitAsync(Patience);
        Assert.Equal(1, collections);
        Assert.Equal(2, waits.Count);
        Assert.Equal(3, compaction.Starts);
    }

    [Fact]
    public async Task A_container_started_after_the_collection_makes_another()
    {
        var waits = new ManualWaits();
        int collections = 0;
        var compaction = new HeapCompaction(RuntimeLog.Null, waits.Wait, () => Interlocked.Increment(ref collections));
        Task? first = compaction.ContainerStarted();
        await waits.BeganAsync();
        waits.EndLatest();
        await first!.WaitAsync(Patience);

        Task? second = compaction.ContainerStarted();

        Assert.NotNull(second);
        await waits.BeganAsync();
        waits.EndLatest();
        await second.WaitAsync(Patience);
        Assert.Equal(2, collections);
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
