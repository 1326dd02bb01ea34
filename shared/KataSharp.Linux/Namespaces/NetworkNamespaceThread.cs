using System.Collections.Concurrent;

namespace KataSharp.Linux.Namespaces;

/// <summary>
/// A dedicated thread that lives in one network namespace and runs the work given to it, one item at a
/// time. setns(CLONE_NEWNET) only moves the calling thread, and sockets and taps stay bound to the
/// namespace they were created in; so anything that must be created in a pod's namespace (a netlink
/// socket, a tap's /dev/net/tun fd, a test's UDP socket) is created here, and the objects can then be
/// used from any thread. No thread-pool thread ever enters a foreign namespace: this thread is
/// private, and it ends (it is never reused) when disposed.
/// </summary>
public sealed class NetworkNamespaceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new(boundedCapacity: 64);
    private readonly Thread _thread;

    private NetworkNamespaceThread(NetworkNamespace target, string name)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Run(target, entered)) { IsBackground = true, Name = name };
        _thread.Start();
        try
        {
            entered.Task.GetAwaiter().GetResult();
        }
        catch
        {
            _thread.Join();
            throw;
        }
    }

    /// <summary>Starts a thread that enters <paramref name="target"/> (the caller keeps owning it). A failed setns
    /// throws here and leaves no thread behind.</summary>
    public static NetworkNamespaceThread Start(NetworkNamespace target, string name = "netns") => new(target, name);

    /// <summary>Runs <paramref name="work"/> on the thread, inside the namespace, and returns its result (or rethrows).</summary>
    public T Invoke<T>(Func<T> work)
    {
        if (Thread.CurrentThread == _thread)
        {
            return work(); // already inside: queueing would wait for ourselves
        }
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    public void Invoke(Action work) => Invoke(() =>
    {
        work();
        return true;
    });

    /// <summary>Lets the thread finish its queue and end; waits for it.</summary>
    public void Dispose()
    {
        if (!_work.IsAddingCompleted)
        {
            _work.CompleteAdding();
        }
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
        _work.Dispose();
    }

    /// <summary>Runs <paramref name="work"/> on a new thread that ends afterwards: for work that changes the thread's
    /// own namespaces (unshare) so the change dies with the thread.</summary>
    internal static void RunOnFreshThread(Action work) => RunOnFreshThread(() =>
    {
        work();
        return true;
    });

    /// <inheritdoc cref="RunOnFreshThread(Action)"/>
    internal static T RunOnFreshThread<T>(Func<T> work)
    {
        T? result = default;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "netns-once" };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        return result!;
    }

    private void Post(Action work)
    {
        try
        {
            _work.Add(work);
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(NetworkNamespaceThread));
        }
    }

    private void Run(NetworkNamespace target, TaskCompletionSource entered)
    {
        try
        {
            target.Enter();
        }
        catch (Exception e)
        {
            entered.SetException(e);
            return;
        }
        entered.SetResult();
        foreach (Action work in _work.GetConsumingEnumerable())
        {
            work();
        }
        // The thread ends here, still in the foreign namespace: it is never handed back to anyone.
    }
}
