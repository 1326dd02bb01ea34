using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Processes;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Engine.Reaping;

/// <summary>
/// The only place the agent waits for children. Woken by SIGCHLD (through .NET's
/// PosixSignalRegistration, which does not reap anything itself as long as the agent is not
/// PID 1, SIGCHLD was not ignored at startup and System.Diagnostics.Process is never used),
/// it reaps known pids with waitid(P_PID) and completes their exit tasks.
/// In agent mode (a child subreaper) it also reaps unknown children — orphans re-parented to
/// us — and keeps their statuses briefly, because a pid learned from ks-spawn may exit before
/// it is registered (containerd's early-exit race).
/// </summary>
public sealed class Reaper : IDisposable
{
    private const int MaxUnclaimed = 256;
    private readonly object _lock = new();
    private readonly Dictionary<int, TaskCompletionSource<ChildStatus>> _known = [];
    private readonly LinkedList<ChildStatus> _unclaimed = new();
    private readonly bool _reapUnknown;
    private readonly ILogger _logger;
    private readonly PosixSignalRegistration _registration;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="reapUnknownChildren">True in the guest (we own every child); false when embedded in
    /// another process (tests) whose other children are not ours to reap.</param>
    public Reaper(bool reapUnknownChildren, ILogger logger)
    {
        _reapUnknown = reapUnknownChildren;
        _logger = logger;
        _registration = PosixSignalRegistration.Create((PosixSignal)ProcessSignal.SIGCHLD, context =>
        {
            context.Cancel = true;
            _wake.Release();
        });
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts tracking <paramref name="pid"/>; the task completes when it has exited and been reaped.
    /// Call it while no other thread can have reaped the pid yet (it is our child and known to nobody else).</summary>
    public Task<ChildStatus> Track(int pid)
    {
        lock (_lock)
        {
            for (LinkedListNode<ChildStatus>? node = _unclaimed.First; node is not null; node = node.Next)
            {
                if (node.Value.Pid == pid)
                {
                    _unclaimed.Remove(node);
                    return Task.FromResult(node.Value);
                }
            }
            if (!_known.TryGetValue(pid, out TaskCompletionSource<ChildStatus>? exit))
            {
                exit = new TaskCompletionSource<ChildStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
                _known[pid] = exit;
            }
            _wake.Release(); // it may have exited before we started tracking it
            return exit.Task;
        }
    }

    /// <summary>Whether <paramref name="pid"/> is tracked and not yet reaped (signalling it is then safe: the pid cannot be reused).</summary>
    public bool IsLive(int pid)
    {
        lock (_lock)
        {
            return _known.ContainsKey(pid);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to a tracked, unreaped pid; false when it has already been reaped.
    /// Holding the lock keeps the reaper from freeing the pid (for reuse) in between.</summary>
    public bool Signal(int pid, int signal)
    {
        lock (_lock)
        {
            return _known.ContainsKey(pid) && ProcessSignal.Send(pid, signal);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process group a tracked, unreaped session leader leads (ks-spawn
    /// makes every process it starts one), so its children go too; false when the leader has already been reaped. While
    /// the leader is unreaped its pid, and so the group's id, cannot be reused.</summary>
    public bool SignalGroup(int leader, int signal)
    {
        lock (_lock)
        {
            return _known.ContainsKey(leader) && ProcessSignal.SendToGroup(leader, signal);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                Sweep();
            }
            catch (Exception e)
            {
                _logger.LogError(e, "reaper sweep failed");
            }
        }
    }

    private void Sweep()
    {
        lock (_lock)
        {
            foreach (int pid in _known.Keys.ToArray())
            {
                ChildStatus? status;
                try
                {
                    status = ChildWait.TryReap(pid);
                }
                catch (LinuxException e) when (e.Errno == Errno.ECHILD)
                {
                    _logger.LogError("pid {Pid} is not our child (or was reaped by someone else); its exit status is lost", pid);
                    status = ChildStatus.Exited(pid, 255);
                }
                if (status is ChildStatus s)
                {
                    _known.Remove(pid, out TaskCompletionSource<ChildStatus>? exit);
                    exit!.TrySetResult(s);
                }
            }
            if (!_reapUnknown)
            {
                return;
            }
            while (ChildWait.PeekAnyExited() is int orphan)
            {
                ChildStatus? status = ChildWait.TryReap(orphan);
                if (status is not ChildStatus s)
                {
                    break;
                }
                if (_known.Remove(orphan, out TaskCompletionSource<ChildStatus>? exit))
                {
                    exit.TrySetResult(s);
                    continue;
                }
                _unclaimed.AddLast(s);
                if (_unclaimed.Count > MaxUnclaimed)
                {
                    _unclaimed.RemoveFirst();
                }
                _logger.LogDebug("reaped orphan: {Status}", s);
            }
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
        _wake.Dispose();
    }
}
