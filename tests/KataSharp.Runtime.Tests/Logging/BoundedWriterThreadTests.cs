using KataSharp.Runtime.Logging;
using Xunit;

namespace KataSharp.Runtime.Tests.Logging;

/// <summary>Alone in its collection: it starves the process's thread pool, which parallel tests need.</summary>
[CollectionDefinition(nameof(BoundedWriterThreadTests), DisableParallelization = true)]
public sealed class BoundedWriterThreadCollection
{
}

/// <summary>
/// The writer thread must not need a thread-pool thread to wake: a shim whose pool was busy (1 CPU, blocking waits while
/// a sandbox stops) once took about 1 s to close its guest console file, its writer's wake queued behind the pool's work.
/// </summary>
[Collection(nameof(BoundedWriterThreadTests))]
public sealed class BoundedWriterThreadTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void An_idle_writer_wakes_for_an_item_and_closes_while_every_thread_pool_thread_is_blocked()
    {
        using var written = new SemaphoreSlim(0);
        var writer = new BoundedWriterThread<int>("test-writer", 100, _ => written.Release(), () => { });
        Assert.True(writer.TryEnqueue(1, 1)); // starts the thread
        Assert.True(written.Wait(Deadline), "the first item was not written");
        Assert.True(writer.Flush(Deadline)); // the thread has caught up, and waits for the next item

        var release = new ManualResetEventSlim(); // not disposed: the queued items run after the fact and must find it set
        try
        {
            // More blocked work than the pool adds threads in the deadline (about two a second once starved): anything
            // queued to it now waits behind these.
            for (int i = 0; i < ThreadPool.ThreadCount + 200; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_ => release.Wait(), null);
            }
            Assert.True(SpinWait.SpinUntil(() => ThreadPool.PendingWorkItemCount >= 100, Deadline), "the pool did not fill up");

            Assert.True(writer.TryEnqueue(2, 1));
            Assert.True(written.Wait(Deadline), $"the idle writer did not wake for an item within {Deadline} (pool starved)");
            Assert.True(writer.Close(Deadline), $"the writer thread did not end within {Deadline} of Close (pool starved)");
            Assert.True(ThreadPool.PendingWorkItemCount > 0, "the pool caught up: the facts above did not run starved");
        }
        finally
        {
            release.Set();
        }
    }
}
