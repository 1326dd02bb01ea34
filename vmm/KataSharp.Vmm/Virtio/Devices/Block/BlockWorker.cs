using KataSharp.Linux.Threading;
using KataSharp.Lifecycle;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>
/// The one thread that serves a block device: its request queue and its media changes. A block request waits for the
/// disk (a host block device, a file on a slow or hung filesystem), so it must not run on the VM's event loop, where it
/// would stall vsock, net and every other device behind it (issue 15). The event loop only <see cref="Kick"/>s this
/// thread; the thread runs one bounded turn per kick (<see cref="QueueLimits"/>, the device re-kicks itself through the
/// loop when it yields), and between two turns it runs the commands host threads post (<see cref="Run"/>: attach,
/// detach), so the backend is only ever used by this thread.
/// <para>
/// A dedicated, long-lived thread rather than the thread pool: a pool thread blocked in pread would take a pool slot
/// (and the pool also runs the shim's own work), and its name is what a stuck-thread report must show.
/// Nothing waits for it without a bound: <see cref="Run"/> and <see cref="ServeTurnAndWait"/> take a timeout,
/// <see cref="Stop"/> joins with one and reports a thread that does not end.
/// </para>
/// </summary>
internal sealed class BlockWorker
{
    private readonly object _gate = new(); // guards everything below; the thread waits on it
    private readonly Queue<Command> _commands = new();
    private readonly Thread _thread;
    private readonly Action _serveTurn;
    private readonly Action<Exception> _onTurnError;
    private readonly Action<string> _log;
    private readonly StateMachine<BlockWorkerState> _state;
    private bool _kicked;
    private long _turnsStarted;
    private long _turnsFinished;

    /// <param name="name">The thread's name ("blk0-io"), used in every report about it.</param>
    /// <param name="serveTurn">One bounded turn over the request queue (runs on the worker thread).</param>
    /// <param name="onTurnError">What a turn threw (a device bug): the device is parked, the thread goes on.</param>
    /// <param name="log">The device's log sink, for a worker that does not stop.</param>
    public BlockWorker(string name, Action serveTurn, Action<Exception> onTurnError, Action<string> log)
    {
        Name = name;
        _serveTurn = serveTurn;
        _onTurnError = onTurnError;
        _log = log;
        _state = new StateMachine<BlockWorkerState>($"block worker '{name}'", BlockWorkerState.Running, BlockWorkerTransitions.Allowed);
        _thread = new Thread(Loop, ThreadStacks.MaxStackSize) { Name = name, IsBackground = true };
        _thread.Start();
    }

    public string Name { get; }

    public BlockWorkerState State => _state.Current;

    /// <summary>True once the thread has returned (joined or not): it touches neither the backend nor guest memory any more.</summary>
    public bool HasEnded => !_thread.IsAlive;

    public bool IsWorkerThread => Thread.CurrentThread == _thread;

    /// <summary>Asks for a turn over the request queue; returns at once (the event loop calls it). Kicks coalesce:
    /// a turn always re-reads the ring, so one pending kick covers any number of notifications.</summary>
    public void Kick()
    {
        lock (_gate)
        {
            if (_state.Current != BlockWorkerState.Running)
            {
                return;
            }
            _kicked = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Kicks and waits until a turn that began after this call has finished (a deterministic step for tests and
    /// the fuzz driver). Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, and
    /// <see cref="ObjectDisposedException"/> when the worker is stopping.</summary>
    public void ServeTurnAndWait(TimeSpan timeout)
    {
        var deadline = Deadline.After(timeout);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_state.Current != BlockWorkerState.Running, this);
            _kicked = true;
            long target = _turnsStarted + 1; // a turn already running started before the kick
            Monitor.PulseAll(_gate);
            while (_turnsFinished < target)
            {
                TimeSpan left = deadline.Remaining;
                if (_state.Current != BlockWorkerState.Running && _turnsStarted < target)
                {
                    throw new ObjectDisposedException(Name, $"block worker '{Name}' stopped before it served the queue");
                }
                if (left <= TimeSpan.Zero || !Monitor.Wait(_gate, left))
                {
                    if (_turnsFinished >= target)
                    {
                        break;
                    }
                    throw new TimeoutException($"block worker '{Name}' did not finish a turn within {timeout.TotalSeconds:0.#} s: a request is stuck in the backend");
                }
            }
        }
    }

    /// <summary>Waits until the worker has nothing to do: no kick pending, no turn running, no command queued (for
    /// deterministic drivers, which must not look at the rings while the worker may write them). False after
    /// <paramref name="timeout"/>.</summary>
    public bool WaitUntilIdle(TimeSpan timeout)
    {
        var deadline = Deadline.After(timeout);
        lock (_gate)
        {
            while (_state.Current == BlockWorkerState.Running && (_kicked || _commands.Count > 0 || _turnsFinished < _turnsStarted))
            {
                if (!Monitor.Wait(_gate, deadline.Remaining))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> on the worker between two requests and waits for it; whatever it throws is
    /// rethrown here. False when the worker no longer takes commands (stopping or stopped): the caller decides what to
    /// do (run it itself once <see cref="HasEnded"/>). When the worker does not get to the command within
    /// <paramref name="timeout"/> (a request stuck in the backend) the command is withdrawn — it never runs — and
    /// <see cref="TimeoutException"/> says so; a command that started is waited for (it does no I/O on the guest's behalf).
    /// </summary>
    public bool Run(Action command, TimeSpan timeout)
    {
        if (IsWorkerThread)
        {
            command();
            return true;
        }
        var entry = new Command(command);
        lock (_gate)
        {
            if (_state.Current != BlockWorkerState.Running)
            {
                return false;
            }
            _commands.Enqueue(entry);
            Monitor.PulseAll(_gate);
        }
        if (!entry.Done.Wait(timeout))
        {
            if (entry.TryWithdraw())
            {
                throw new TimeoutException($"block worker '{Name}' did not take the command within {timeout.TotalSeconds:0.#} s: a request is stuck in the backend; nothing was changed");
            }
            if (!entry.Done.Wait(timeout))
            {
                throw new TimeoutException($"block worker '{Name}' started the command but did not finish it within {timeout.TotalSeconds:0.#} s more; it may still complete");
            }
        }
        entry.Done.Dispose();
        if (entry.Error is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        return true;
    }

    /// <summary>
    /// Ends the worker: the request or command in hand finishes, commands already posted run, nothing new is taken.
    /// Joins the thread for at most <paramref name="timeout"/>; a thread still in the backend then is reported by name
    /// and left running (its device keeps the backend open and the VM keeps guest memory mapped while it runs), and
    /// false is returned; calling again later joins it. From the worker thread itself it only asks.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        lock (_gate)
        {
            _state.TryMove(BlockWorkerState.Stopping);
            Monitor.PulseAll(_gate);
        }
        if (IsWorkerThread)
        {
            return true;
        }
        if (!_thread.Join(timeout))
        {
            _log($"block worker thread '{Name}' did not stop within {timeout.TotalSeconds:0.#} s: a request is stuck in the backend; it is left running");
            return false;
        }
        _state.TryMove(BlockWorkerState.Stopped);
        return true;
    }

    private void Loop()
    {
        while (true)
        {
            Command? command;
            long turn;
            lock (_gate)
            {
                while (!_kicked && _commands.Count == 0 && _state.Current == BlockWorkerState.Running)
                {
                    Monitor.Wait(_gate);
                }
                if (_commands.TryDequeue(out command))
                {
                    turn = 0;
                }
                else if (_state.Current != BlockWorkerState.Running)
                {
                    Monitor.PulseAll(_gate); // a ServeTurnAndWait caller learns that no turn will come
                    return;
                }
                else
                {
                    _kicked = false;
                    turn = ++_turnsStarted;
                }
            }
            if (command is not null)
            {
                command.Execute();
                lock (_gate)
                {
                    Monitor.PulseAll(_gate); // WaitUntilIdle callers re-check
                }
                continue;
            }
            try
            {
                _serveTurn();
            }
            catch (Exception e)
            {
                _onTurnError(e);
            }
            lock (_gate)
            {
                _turnsFinished = turn;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>One posted command: queued, then either run by the worker or withdrawn by a caller that gave up.</summary>
    private sealed class Command(Action action)
    {
        private const int Queued = 0;
        private const int Running = 1;
        private const int Withdrawn = 2;

        private int _state;

        public ManualResetEventSlim Done { get; } = new();

        public Exception? Error { get; private set; }

        public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued;

        public void Execute()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) != Queued)
            {
                return; // the caller gave up on it: it must not run late
            }
            try
            {
                action();
            }
            catch (Exception e)
            {
                Error = e;
            }
            Done.Set();
        }
    }
}
