using System.Collections.Concurrent;

namespace KataSharp.Runtime.Logging;

/// <summary>
/// One dedicated thread that writes what callers queue, for callers that must never wait on the write: vCPU threads,
/// the VMM's event loop, request handlers. The queue is bounded by a cost the caller gives each item (characters,
/// bytes): an item that does not fit is refused (the owner counts and reports the drop) and the caller returns at
/// once. The thread starts with the first item, and waits for the next on an event a producer sets, not on an async
/// wait: those complete on a thread-pool thread, so a busy pool (1 CPU, blocking waits in a sandbox's stop) once held
/// the wake, and the close of a guest console file, for about 1 s. It is shared by the shim log (<see cref="LogRecordQueue"/>, a FIFO
/// containerd may stop reading) and the guest console file (<see cref="GuestConsoleFile"/>, a disk that may stall).
/// </summary>
/// <typeparam name="T">What is queued.</typeparam>
internal sealed class BoundedWriterThread<T>
{
    private readonly string _name;
    private readonly long _capacity;
    private readonly Action<T> _write;
    private readonly Action _caughtUp;
    private readonly ConcurrentQueue<(T Item, long Cost)> _items = new();
    private readonly ManualResetEventSlim _wake = new(); // never disposed: a producer may set it as the thread ends
    private readonly object _closing = new();
    private readonly object _progress = new();
    private bool _closed;
    private Thread? _thread;
    private long _queued;
    private long _accepted;
    private long _done;
    private int _flushWaiters;

    /// <param name="name">The thread's name.</param>
    /// <param name="capacity">The most cost queued at once.</param>
    /// <param name="write">Writes one item on the thread; must not throw (a failed write is the owner's to count).</param>
    /// <param name="caughtUp">Runs on the thread whenever the queue has just emptied, and once more when it closes:
    /// where an owner reports its drops and flushes what it buffers.</param>
    public BoundedWriterThread(string name, long capacity, Action<T> write, Action caughtUp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _name = name;
        _capacity = capacity;
        _write = write;
        _caughtUp = caughtUp;
    }

    /// <summary>Queues <paramref name="item"/>; never waits on the writer (a lock held for an enqueue at most). False when it
    /// was refused: no room, or closed.</summary>
    public bool TryEnqueue(T item, long cost)
    {
        if (Interlocked.Add(ref _queued, cost) > _capacity)
        {
            Interlocked.Add(ref _queued, -cost);
            return false;
        }
        // A short lock against Close only: an item is either queued before the thread's last look, or refused.
        lock (_closing)
        {
            if (_closed)
            {
                Interlocked.Add(ref _queued, -cost);
                return false;
            }
            Interlocked.Increment(ref _accepted);
            _items.Enqueue((item, cost));
        }
        _wake.Set();
        EnsureThread();
        return true;
    }

    /// <summary>Waits until every item queued before the call is written (or failed); false on timeout.</summary>
    public bool Flush(TimeSpan timeout)
    {
        long target = Interlocked.Read(ref _accepted);
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_progress)
        {
            Interlocked.Increment(ref _flushWaiters);
            try
            {
                while (Interlocked.Read(ref _done) < target)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0)
                    {
                        return false;
                    }
                    Monitor.Wait(_progress, (int)Math.Min(left, int.MaxValue));
                }
                return true;
            }
            finally
            {
                Interlocked.Decrement(ref _flushWaiters);
            }
        }
    }

    /// <summary>
    /// Takes no more items and waits up to <paramref name="timeout"/> for the queued ones to be written. False when
    /// the thread is still blocked in a write: it is a background thread, so it cannot keep the process alive, and
    /// what it writes to stays its own until it returns.
    /// </summary>
    public bool Close(TimeSpan timeout)
    {
        lock (_closing)
        {
            _closed = true;
        }
        _wake.Set();
        Thread? thread = Volatile.Read(ref _thread);
        return thread is null || thread.Join(timeout);
    }

    private void EnsureThread()
    {
        if (Volatile.Read(ref _thread) is not null)
        {
            return;
        }
        var thread = new Thread(Loop) { IsBackground = true, Name = _name };
        if (Interlocked.CompareExchange(ref _thread, thread, null) is null)
        {
            thread.Start();
        }
    }

    private void Loop()
    {
        while (true)
        {
            // Reset before looking: an item queued after the look sets it again, so the wait below returns at once.
            _wake.Reset();
            bool closed = Volatile.Read(ref _closed); // read before draining: whatever was queued before Close is drained
            while (_items.TryDequeue(out var queued))
            {
                _write(queued.Item);
                if (Interlocked.Add(ref _queued, -queued.Cost) == 0)
                {
                    // Caught up: a gap is reported now, not only before the next item (which may never come).
                    _caughtUp();
                }
                Interlocked.Increment(ref _done);
                if (Volatile.Read(ref _flushWaiters) > 0)
                {
                    lock (_progress)
                    {
                        Monitor.PulseAll(_progress);
                    }
                }
            }
            if (closed)
            {
                _caughtUp();
                return;
            }
            _wake.Wait();
        }
    }
}
