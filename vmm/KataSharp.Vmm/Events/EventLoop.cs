using System.Collections.Concurrent;
using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Events;

/// <summary>
/// The VMM's I/O thread: one epoll over ioeventfds, backend sockets and a wake-up eventfd.
/// Device data-plane handlers run here, one at a time, so a device needs no locks against
/// itself. Other threads hand work over with <see cref="Post"/>.
/// <para>
/// Nothing waits for this thread without a bound: <see cref="Invoke"/> (and so Register, Modify and
/// unregistering) gives up after <see cref="WaitTimeout"/> with an error naming the thread, and
/// <see cref="Stop"/> reports a thread that does not end instead of joining it forever. A stuck thread
/// keeps its epoll and eventfd (it may still use them); the rest of the VMM can shut down around it.
/// Each turn does bounded work: at most 64 ready descriptors and <see cref="PostedPerTurn"/> posted items.
/// </para>
/// </summary>
public sealed class EventLoop : IDisposable
{
    /// <summary>How long callers wait for the loop thread by default (a turn takes milliseconds).</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Posted items run per turn; more wait for the next turn so descriptors get theirs.</summary>
    public const int PostedPerTurn = 256;

    private const ulong WakeToken = 0;
    private const int ReadyPerTurn = 64;

    private readonly Epoll _epoll = Epoll.Create();
    private readonly EventFd _wake = EventFd.Create();
    private readonly object _wakeGate = new();
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Dictionary<ulong, Registration> _handlers = new();
    private readonly Dictionary<int, ulong> _tokenByFd = new();
    private readonly Action<Exception> _onHandlerError;
    private readonly Action<string> _log;
    private readonly Thread? _thread;
    private readonly Thread _owner;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _nextToken = 1;
    private volatile bool _stopping;
    private volatile bool _releaseOnExit;
    private long _turn;
    private long _stuckTurn = -1;
    private bool _released;

    /// <param name="name">The thread's name, used in every report about it ("vmm-io").</param>
    /// <param name="onHandlerError">Called on the loop thread with whatever a handler or posted item threw.</param>
    /// <param name="log">Where a stuck thread is reported (default: standard error).</param>
    public EventLoop(string name, Action<Exception> onHandlerError, Action<string>? log = null)
        : this(name, onHandlerError, log, threaded: true)
    {
    }

    private EventLoop(string name, Action<Exception> onHandlerError, Action<string>? log, bool threaded)
    {
        Name = name;
        _onHandlerError = onHandlerError;
        _log = log ?? (line => Console.Error.WriteLine($"[katasharp-vmm] {line}"));
        _owner = Thread.CurrentThread;
        _epoll.Add(_wake.Descriptor.Value, EpollEvents.In, WakeToken);
        if (threaded)
        {
            _thread = new Thread(Run, ThreadStacks.MaxStackSize) { Name = name, IsBackground = true };
            _thread.Start();
        }
    }

    /// <summary>
    /// A loop without a thread, for deterministic drivers (the fuzz benchmark): the creating thread is the
    /// loop thread and turns happen only when it calls <see cref="RunOnce"/>.
    /// </summary>
    internal static EventLoop CreateManual(string name, Action<Exception> onHandlerError, Action<string>? log = null) =>
        new(name, onHandlerError, log, threaded: false);

    public string Name { get; }

    /// <summary>How long <see cref="Invoke"/>, Register, Modify and unregistering wait for the loop thread, and
    /// <see cref="Dispose"/> for it to end.</summary>
    public TimeSpan WaitTimeout { get; init; } = DefaultWaitTimeout;

    /// <summary>True when called from the loop thread itself.</summary>
    public bool IsLoopThread => Thread.CurrentThread == (_thread ?? _owner);

    /// <summary>Watched descriptors (for growth checks).</summary>
    internal int RegistrationCount => _handlers.Count;

    /// <summary>Posted items not run yet (for growth checks).</summary>
    internal int PostedCount => _posted.Count;

    /// <summary>Runs <paramref name="work"/> on the loop thread, in posting order. Throws
    /// <see cref="ObjectDisposedException"/> once the loop is stopping.</summary>
    public void Post(Action work)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        _posted.Enqueue(work);
        Wake();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop thread and waits for it (inline when already there).
    /// Throws <see cref="TimeoutException"/> naming the thread when it does not get to the work within
    /// <see cref="WaitTimeout"/> (stuck in a handler), <see cref="ObjectDisposedException"/> when the loop ended first.
    /// </summary>
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
        Task.WaitAny([done.Task, _ended.Task], WaitTimeout);
        if (done.Task.IsCompleted)
        {
            done.Task.GetAwaiter().GetResult();
            return;
        }
        if (_ended.Task.IsCompleted)
        {
            throw new ObjectDisposedException(Name, $"event loop '{Name}' stopped before it ran the request");
        }
        Volatile.Write(ref _stuckTurn, Volatile.Read(ref _turn));
        throw new TimeoutException($"event loop thread '{Name}' did not take a request within {WaitTimeout.TotalSeconds:0.#} s: it is stuck in a handler");
    }

    /// <summary>Watches <paramref name="fd"/>; <paramref name="handler"/> runs on the loop thread.
    /// Dispose the result to stop watching (the fd itself stays open: its owner closes it). Once disposed,
    /// the handler is never called again, even when the loop is too stuck to take the fd out of epoll.</summary>
    public IDisposable Register(int fd, EpollEvents events, Action<EpollEvents> handler)
    {
        Registration? registration = null;
        Invoke(() =>
        {
            registration = new Registration(this, fd, _nextToken++, handler);
            _epoll.Add(fd, events, registration.Token);
            _handlers[registration.Token] = registration;
            _tokenByFd[fd] = registration.Token;
        });
        return registration!;
    }

    /// <summary>Changes the events watched for a registration (e.g. add Out while a send is blocked).</summary>
    public void Modify(IDisposable registration, EpollEvents events)
    {
        var r = (Registration)registration;
        Invoke(() => _epoll.Modify(r.Fd, events, r.Token));
    }

    private void Unregister(Registration registration)
    {
        if (_stopping)
        {
            return; // the epoll goes away with the loop; the handler is already disabled
        }
        if (!IsLoopThread && Volatile.Read(ref _stuckTurn) == Volatile.Read(ref _turn))
        {
            // A wait already timed out and the loop has not finished that turn since: do not wait again (a shutdown
            // unregistering many descriptors takes one timeout, not one each). The removal runs if the loop recovers.
            try
            {
                Post(() => Remove(registration));
            }
            catch (ObjectDisposedException)
            {
                return; // stopping meanwhile: the epoll goes away with the loop
            }
            _log($"event loop thread '{Name}' is still stuck in a handler; fd {registration.Fd} stays in its epoll (its handler is disabled)");
            return;
        }
        try
        {
            Invoke(() => Remove(registration));
        }
        catch (TimeoutException e)
        {
            _log($"{e.Message}; fd {registration.Fd} stays in its epoll (its handler is disabled)");
        }
        catch (ObjectDisposedException)
        {
            // The loop ended meanwhile: nothing watches the fd any more.
        }
    }

    /// <summary>Takes a registration out of epoll, unless its fd number already belongs to a newer registration (a
    /// removal that ran late, after the owner closed the fd and the number was reused).</summary>
    private void Remove(Registration registration)
    {
        if (!_handlers.Remove(registration.Token))
        {
            return;
        }
        if (_tokenByFd.TryGetValue(registration.Fd, out ulong token) && token == registration.Token)
        {
            _tokenByFd.Remove(registration.Fd);
            try
            {
                _epoll.Remove(registration.Fd);
            }
            catch (LinuxException e) when (e.Errno is Errno.EBADF or Errno.ENOENT)
            {
                // Closed already: the kernel dropped it from the epoll with its last reference.
            }
        }
    }

    /// <summary>One turn on the calling thread of a loop made by <see cref="CreateManual"/>: waits up to
    /// <paramref name="timeoutMs"/> for ready descriptors and runs their handlers. Returns how many were ready.</summary>
    internal int RunOnce(int timeoutMs)
    {
        if (_thread is not null || !IsLoopThread)
        {
            throw new InvalidOperationException($"event loop '{Name}' has its own thread: only a manual loop is turned by its owner");
        }
        return _stopping ? 0 : Turn(timeoutMs);
    }

    private void Run()
    {
        try
        {
            while (!_stopping)
            {
                Turn(-1);
            }
            RunPosted();
        }
        finally
        {
            _ended.TrySetResult();
            if (_releaseOnExit)
            {
                Release();
            }
        }
    }

    private int Turn(int timeoutMs)
    {
        Span<EpollReady> ready = stackalloc EpollReady[ReadyPerTurn];
        Interlocked.Increment(ref _turn);
        int n = _epoll.Wait(ready, timeoutMs);
        for (int i = 0; i < n && !_stopping; i++)
        {
            if (ready[i].Token == WakeToken)
            {
                _wake.Drain();
                RunPosted();
            }
            else if (_handlers.TryGetValue(ready[i].Token, out Registration? registration) && !registration.IsDisposed)
            {
                try
                {
                    registration.Handler(ready[i].Events);
                }
                catch (Exception e)
                {
                    _onHandlerError(e);
                }
            }
        }
        return n;
    }

    /// <summary>Runs what was posted, at most <see cref="PostedPerTurn"/> items (work that posts more work
    /// cannot keep the loop from its descriptors); the rest waits for the next turn.</summary>
    private void RunPosted()
    {
        for (int i = 0; i < PostedPerTurn && _posted.TryDequeue(out Action? work); i++)
        {
            Guard(work);
        }
        if (!_posted.IsEmpty && !_stopping)
        {
            Wake();
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

    private void Wake()
    {
        lock (_wakeGate)
        {
            ObjectDisposedException.ThrowIf(_released, this);
            _wake.Signal();
        }
    }

    /// <summary>
    /// Stops the loop: the current turn finishes, items already posted run, and the thread ends. Waits at most
    /// <paramref name="timeout"/>; a thread that does not end in time (stuck in a handler) is reported by name,
    /// left running with its epoll and eventfd, and false is returned. Calling again later releases them once the
    /// thread has ended. From the loop thread itself it only asks: the thread ends, and releases them, after the
    /// current handler.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        lock (_wakeGate)
        {
            if (!_stopping && !_released)
            {
                _stopping = true;
                _wake.Signal();
            }
        }
        if (_thread is not null)
        {
            if (IsLoopThread)
            {
                _releaseOnExit = true; // a handler stopped its own loop: the thread releases on its way out
                return true;
            }
            if (!_thread.Join(timeout))
            {
                _log($"event loop thread '{Name}' did not stop within {timeout.TotalSeconds:0.#} s: it is stuck in a handler; it is left running with its epoll and eventfd");
                return false;
            }
        }
        Release();
        return true;
    }

    private void Release()
    {
        lock (_wakeGate)
        {
            if (_released)
            {
                return;
            }
            _released = true;
        }
        _ended.TrySetResult();
        _epoll.Dispose();
        _wake.Dispose();
    }

    /// <summary><see cref="Stop"/> with <see cref="WaitTimeout"/>.</summary>
    public void Dispose() => Stop(WaitTimeout);

    private sealed class Registration(EventLoop loop, int fd, ulong token, Action<EpollEvents> handler) : IDisposable
    {
        private int _disposed;

        public int Fd => fd;

        public ulong Token => token;

        public Action<EpollEvents> Handler => handler;

        public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                loop.Unregister(this);
            }
        }
    }
}
