namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// Runs a step that a bug could make block forever (a device lock held by a spinning event loop, a
/// dispose waiting for that loop) on its own background thread with a deadline, so the test fails
/// with a description instead of hanging the run. A step that overruns is left behind: its thread is
/// a background thread and ends with the test process.
/// </summary>
internal static class Bounded
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static T Run<T>(Func<T> step, string what, TimeSpan? timeout = null)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = step();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = $"bounded: {what}" };
        thread.Start();
        TimeSpan limit = timeout ?? DefaultTimeout;
        if (!thread.Join(limit))
        {
            throw new TimeoutException($"{what} did not finish within {limit.TotalSeconds:0.#} s: it hangs (a spinning or blocked thread)");
        }
        if (failure is not null)
        {
            throw new AggregateException($"{what} failed: {failure.Message}", failure);
        }
        return result;
    }

    public static void Run(Action step, string what, TimeSpan? timeout = null) =>
        Run(() =>
        {
            step();
            return true;
        }, what, timeout);

    /// <summary>Clean-up after a test body with a deadline. When the body already failed (<paramref name="bodyFailure"/>),
    /// an overrunning clean-up does not replace that failure: the body's error is the one that explains the hang.</summary>
    public static void Cleanup(Action step, string what, Exception? bodyFailure, TimeSpan? timeout = null)
    {
        try
        {
            Run(step, what, timeout);
        }
        catch (TimeoutException) when (bodyFailure is not null)
        {
        }
    }
}
