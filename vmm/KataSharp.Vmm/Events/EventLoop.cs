using System.Collections.Concurrent;
using KataSharp.Linux.Events;

namespace KataSharp.Vmm.Events;

/// <summary>
/// The VMM's I/O thread: one epoll over ioeventfds, backend sockets and a wake-up eventfd.
/// Device data-plane handlers run here, one at a time, so a device needs no locks against
/// itself. Other threads hand work over with <see cref="Post"/>.
/// </summary>
public sealed class EventLoop : IDisposable
{
    private const ulong WakeToken = 0;

    private readonly Epoll _epoll = Epoll.Create();
    private readonly EventFd _wake = EventFd.Create();
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Dictionary<ulong, Action<EpollEvents>> _handlers = new();
    private readonly Action<Exception> _onHandlerError;
    private readonly Thread _thread;
    private ulong _nextToken = 1;
    private volatile bool _stopping;

    public EventLoop(string name, Action<Exception> onHandlerError)
    {
        _onHandlerError = onHandlerError;
        _epoll.Add(_wake.Descriptor.Value, EpollEvents.In, WakeToken);
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>True when called from the loop thread itself.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="work"/> on the loop thread, in posting order.</summary>
    public void Post(Action work)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        _posted.Enqueue(work);
        _wake.Signal();
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread and waits for it (inline when already there).</summary>
    public void Invoke(Action work)
    {
        if (IsLoopThread)
        {
            work();
            return;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        done.Task.GetAwaiter().GetResult();
    }

    /// <summary>Watches <paramref name="fd"/>; <paramref name="handler"/> runs on the loop thread.
    /// Dispose the result to stop watching (the fd itself stays open: its owner closes it).</summary>
    public IDisposable Register(int fd, EpollEvents events, Action<EpollEvents> handler)
    {
        ulong token = 0;
        Invoke(() =>
        {
            token = _nextToken++;
            _handlers[token] = handler;
            _epoll.Add(fd, events, token);
        });
        return new Registration(this, fd, token);
    }

    /// <summary>Changes the events watched for a registration (e.g. add Out while a send is blocked).</summary>
    public void Modify(IDisposable registration, EpollEvents events)
    {
        var r = (Registration)registration;
        Invoke(() => _epoll.Modify(r.Fd, events, r.Token));
    }

    private void Unregister(int fd, ulong token)
    {
        if (_stopping)
        {
            return;
        }
        Invoke(() =>
        {
            if (_handlers.Remove(token))
            {
                _epoll.Remove(fd);
            }
        });
    }

    private void Run()
    {
        Span<EpollReady> ready = stackalloc EpollReady[64];
        while (!_stopping)
        {
            int n = _epoll.Wait(ready, -1);
            for (int i = 0; i < n && !_stopping; i++)
            {
                if (ready[i].Token == WakeToken)
                {
                    _wake.Drain();
                    RunPosted();
                }
                else if (_handlers.TryGetValue(ready[i].Token, out Action<EpollEvents>? handler))
                {
                    try
                    {
                        handler(ready[i].Events);
                    }
                    catch (Exception e)
                    {
                        _onHandlerError(e);
                    }
                }
            }
        }
        RunPosted();
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out Action? work))
        {
            Guard(work);
        }
    }

    private void Guard(Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            _onHandlerError(e);
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
        if (!IsLoopThread)
        {
            _thread.Join();
        }
        _epoll.Dispose();
        _wake.Dispose();
    }

    private sealed class Registration(EventLoop loop, int fd, ulong token) : IDisposable
    {
        private int _disposed;

        public int Fd => fd;

        public ulong Token => token;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                loop.Unregister(fd, token);
            }
        }
    }
}
