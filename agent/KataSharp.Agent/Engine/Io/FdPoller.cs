using System.Collections.Concurrent;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Files;

namespace KataSharp.Agent.Engine.Io;

/// <summary>
/// Async readiness for raw descriptors (pipes, pty masters, inotify) that .NET's socket engine cannot
/// wrap: one thread waits in epoll; each wait is a one-shot registration completing a task.
/// Callers then do the non-blocking read/write themselves and wait again on EAGAIN.
/// </summary>
public sealed class FdPoller : IDisposable
{
    private const ulong WakeToken = 0;
    private readonly Epoll _epoll = Epoll.Create();
    private readonly EventFd _wake = EventFd.Create();
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _waiters = new();
    private readonly Thread _thread;
    private long _nextToken;
    private volatile bool _stopping;

    public FdPoller()
    {
        _epoll.Add(_wake.Descriptor.Value, EpollEvents.In, WakeToken);
        _thread = new Thread(Run) { IsBackground = true, Name = "fd-poller" };
        _thread.Start();
    }

    /// <summary>Completes when <paramref name="fd"/> is readable (or hung up / in error, which a read then reports).</summary>
    public Task WaitReadableAsync(FileDescriptor fd, CancellationToken cancellationToken = default) =>
        WaitAsync(fd, EpollEvents.In | EpollEvents.RdHup, cancellationToken);

    public Task WaitWritableAsync(FileDescriptor fd, CancellationToken cancellationToken = default) =>
        WaitAsync(fd, EpollEvents.Out, cancellationToken);

    private Task WaitAsync(FileDescriptor fd, EpollEvents events, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        ulong token = (ulong)Interlocked.Increment(ref _nextToken);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[token] = waiter;
        // One-shot: the registration disarms itself when it fires, so a descriptor is only ever
        // watched while someone waits on it. The same fd is re-armed with MOD on the next wait.
        const EpollEvents OneShot = (EpollEvents)0x40000000; // EPOLLONESHOT
        try
        {
            try
            {
                _epoll.Modify(fd.Value, events | OneShot, token);
            }
            catch (LinuxException e) when (e.Errno == Errno.ENOENT)
            {
                _epoll.Add(fd.Value, events | OneShot, token);
            }
        }
        catch
        {
            _waiters.TryRemove(token, out _);
            throw;
        }
        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.Register(() =>
            {
                if (_waiters.TryRemove(token, out TaskCompletionSource? w))
                {
                    w.TrySetCanceled(cancellationToken);
                }
            });
            waiter.Task.ContinueWith(_ => registration.Dispose(), TaskScheduler.Default);
        }
        return waiter.Task;
    }

    /// <summary>Stops watching <paramref name="fd"/> before it is closed (closing also drops it, unless a child holds a copy).</summary>
    public void Forget(FileDescriptor fd)
    {
        try
        {
            _epoll.Remove(fd.Value);
        }
        catch (LinuxException e) when (e.Errno is Errno.ENOENT or Errno.EBADF)
        {
        }
    }

    private void Run()
    {
        Span<EpollReady> ready = stackalloc EpollReady[64];
        while (!_stopping)
        {
            int n = _epoll.Wait(ready, -1);
            for (int i = 0; i < n; i++)
            {
                if (ready[i].Token == WakeToken)
                {
                    _wake.Drain();
                }
                else if (_waiters.TryRemove(ready[i].Token, out TaskCompletionSource? waiter))
                {
                    waiter.TrySetResult();
                }
            }
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        _wake.Signal();
        _thread.Join();
        foreach (TaskCompletionSource waiter in _waiters.Values)
        {
            waiter.TrySetException(new ObjectDisposedException(nameof(FdPoller)));
        }
        _epoll.Dispose();
        _wake.Dispose();
    }
}
