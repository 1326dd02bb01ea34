using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio;

/// <summary>
/// The device side of virtio: identity, features, queues, config space, and turning descriptor chains
/// into work. Register decoding, status transitions and feature negotiation live in the transport;
/// a device sees only "activate", "reset" and "queue N was notified".
/// Threading: every member below runs with <see cref="Sync"/> held — the transport takes it for
/// register accesses (vCPU threads) and queue notifications (event loop); host-side APIs of a device
/// (media change, vsock connect) take it too. A device that serves its queues on its own thread
/// (<see cref="HandOffNotification"/>) takes it there around every queue access.
/// </summary>
public abstract class VirtioDevice : IDisposable
{
    /// <summary>How long <see cref="Dispose"/> waits for the device lock by default.</summary>
    public static readonly TimeSpan DefaultDisposeTimeout = TimeSpan.FromSeconds(10);

    private readonly VirtQueue[] _queues;
    private readonly Action<string> _log;
    private IVirtioTransport? _transport;
    private GuestMemory? _memory;
    private bool _failed;

    protected VirtioDevice(string name, int queueCount, ushort maxQueueSize, Action<string>? logSink)
    {
        Name = name;
        _queues = new VirtQueue[queueCount];
        for (int i = 0; i < queueCount; i++)
        {
            _queues[i] = new VirtQueue(maxQueueSize);
        }
        _log = logSink ?? (line => Console.Error.WriteLine(line));
        GuestErrors = new GuestErrorLog(name, logSink);
    }

    /// <summary>How long <see cref="Dispose"/> waits for the device lock, which the event loop holds while it works
    /// on this device. A loop stuck in the device (a host backend that never answers) is reported and the
    /// device's host resources are left open rather than the caller waiting forever.</summary>
    public TimeSpan DisposeTimeout { get; init; } = DefaultDisposeTimeout;

    /// <summary>A short name for logs ("blk0", "vsock").</summary>
    public string Name { get; }

    /// <summary>The device lock (see the class remarks).</summary>
    public object Sync { get; } = new();

    public GuestErrorLog GuestErrors { get; }

    public abstract VirtioDeviceType DeviceType { get; }

    /// <summary>Feature bits offered to the driver, including <see cref="VirtioFeatures.Common"/>.</summary>
    public abstract ulong OfferedFeatures { get; }

    /// <summary>What the driver accepted (valid from FEATURES_OK to reset).</summary>
    public ulong AckedFeatures { get; private set; }

    public IReadOnlyList<VirtQueue> Queues => _queues;

    /// <summary>True between a successful DRIVER_OK and the next reset.</summary>
    public bool IsActivated => _memory is not null;

    /// <summary>True after a fatal guest error (DEVICE_NEEDS_RESET) until the driver resets the device.</summary>
    public bool IsFailed => _failed;

    /// <summary>True when something outside the VMM (vhost in the host kernel) consumes the queues' notification
    /// eventfds: the transport then does not watch them, so a guest kick wakes only that consumer.</summary>
    protected internal virtual bool QueueNotificationsConsumedElsewhere => false;

    /// <summary>Size of the device-specific configuration space in bytes.</summary>
    public abstract int ConfigSize { get; }

    /// <summary>Writes the current configuration space into <paramref name="config"/> (ConfigSize bytes).</summary>
    protected abstract void RenderConfig(Span<byte> config);

    /// <summary>A driver write into config space; false = not writable (the transport reports it).</summary>
    public virtual bool WriteConfig(uint offset, ReadOnlySpan<byte> data) => false;

    protected GuestMemory Memory => _memory ?? throw new InvalidOperationException($"{Name} is not activated");

    protected IVirtioTransport Transport => _transport ?? throw new InvalidOperationException($"{Name} has no transport");

    protected bool HasFeature(ulong feature) => (AckedFeatures & feature) == feature;

    /// <summary>The driver completed initialisation: queues are valid and memory is usable.</summary>
    protected virtual void OnActivated()
    {
    }

    /// <summary>Return every piece of device state to what it was before the driver first touched it.</summary>
    protected virtual void OnReset()
    {
    }

    /// <summary>Queue <paramref name="index"/> was notified (or requeued): process what it holds.</summary>
    protected abstract void ProcessQueue(int index);

    internal void AttachTransport(IVirtioTransport transport)
    {
        if (_transport is not null)
        {
            throw new InvalidOperationException($"{Name} is already attached to a transport");
        }
        _transport = transport;
    }

    internal void ReadConfig(ulong offset, Span<byte> data)
    {
        data.Clear();
        int size = ConfigSize;
        if (offset >= (ulong)size)
        {
            return;
        }
        Span<byte> config = stackalloc byte[size];
        RenderConfig(config);
        ReadOnlySpan<byte> available = config[(int)offset..];
        available[..Math.Min(available.Length, data.Length)].CopyTo(data);
    }

    /// <summary>DRIVER_OK: validates every queue and activates. Returns the problem when activation is refused.</summary>
    internal string? Activate(GuestMemory memory, ulong ackedFeatures)
    {
        for (int i = 0; i < _queues.Length; i++)
        {
            if (_queues[i].Validate(memory) is { } problem)
            {
                return $"queue {i}: {problem}";
            }
        }
        AckedFeatures = ackedFeatures;
        bool eventIdx = HasFeature(VirtioFeatures.RingEventIdx);
        bool indirect = HasFeature(VirtioFeatures.RingIndirectDesc);
        foreach (VirtQueue queue in _queues)
        {
            queue.Activate(memory, eventIdx, indirect);
        }
        _memory = memory;
        _failed = false;
        try
        {
            OnActivated();
        }
        catch
        {
            _memory = null;
            throw;
        }
        return null;
    }

    /// <summary>Records the features accepted at FEATURES_OK (the transport validated them).</summary>
    internal void AcceptFeatures(ulong features) => AckedFeatures = features;

    internal void Reset()
    {
        OnReset();
        foreach (VirtQueue queue in _queues)
        {
            queue.Reset();
        }
        AckedFeatures = 0;
        _memory = null;
        _failed = false;
    }

    /// <summary>
    /// Queue <paramref name="index"/> was notified. A device that serves its queues on its own thread (virtio-blk, whose
    /// requests wait for a disk) takes the kick here, without the device lock, and returns true; with
    /// <paramref name="wait"/> (a test's or the fuzz driver's deterministic step, never the event loop) it also waits for
    /// the turn the kick causes. False, the default: the caller processes the queue itself, under <see cref="Sync"/>.
    /// </summary>
    internal virtual bool HandOffNotification(int index, bool wait) => false;

    internal void HandleQueueNotification(int index)
    {
        if (_memory is null || _failed || (uint)index >= (uint)_queues.Length)
        {
            return;
        }
        ProcessQueue(index);
    }

    /// <summary>The config space changed: the generation moves on, and an activated driver gets a
    /// config-change interrupt (before DRIVER_OK the driver will read the new values anyway).</summary>
    protected void NotifyConfigChanged() => _transport?.SignalConfigChanged(raiseInterrupt: IsActivated);

    /// <summary>A fatal guest error: stop using the device until the driver resets it.</summary>
    protected internal void Fail(string reason)
    {
        if (_failed || _transport is null)
        {
            GuestErrors.Report(reason);
            return;
        }
        _failed = true;
        _transport.SetNeedsReset(reason);
    }

    /// <summary>
    /// The common queue loop: pops chains, hands well-formed ones to <paramref name="handle"/> (which
    /// returns the bytes it wrote), returns malformed ones unused, breaks the device on a corrupt ring,
    /// yields after <see cref="QueueLimits.ChainsPerTurn"/> chains or <see cref="QueueLimits.BytesPerTurn"/> bytes
    /// moved (re-kicking the queue), and interrupts once at the end if the driver wants it.
    /// <paramref name="budgetLeft"/>, when given, is a device's own budget on top of those (e.g. frames per turn):
    /// once it says no, the queue is re-kicked and the turn ends.
    /// <paramref name="wanted"/>, when given, is asked before each pop: false leaves the remaining chains for later
    /// without a re-kick (an event queue only takes a buffer when an event is due).
    /// </summary>
    /// <returns>Whether the driver was interrupted.</returns>
    protected bool ProcessAvailableChains(
        int queueIndex, Func<DescriptorChain, uint> handle, Func<bool>? budgetLeft = null, Func<bool>? wanted = null)
    {
        VirtQueue queue = _queues[queueIndex];
        bool returned = false;
        ulong bytes = 0;
        for (int turn = 0; wanted?.Invoke() ?? true; turn++)
        {
            if (turn == QueueLimits.ChainsPerTurn || bytes >= QueueLimits.BytesPerTurn || budgetLeft?.Invoke() == false)
            {
                Transport.RequeueNotification(queueIndex);
                break;
            }
            QueuePopResult result = queue.TryPop(out DescriptorChain chain);
            if (result == QueuePopResult.Empty)
            {
                if (queue.EnableNotificationAndCheck())
                {
                    continue;
                }
                break;
            }
            if (result == QueuePopResult.Broken)
            {
                Fail($"queue {queueIndex}: {queue.BrokenReason}");
                return false;
            }
            uint written = 0;
            if (result == QueuePopResult.Malformed)
            {
                GuestErrors.Report($"queue {queueIndex}: dropped chain at head {chain.Head}: {chain.Problem}");
            }
            else
            {
                written = handle(chain);
                bytes += chain.Reader.BytesRead + chain.Writer.BytesWritten;
            }
            queue.AddUsed(chain.Head, written);
            returned = true;
        }
        return SignalIfWanted(queue, returned);
    }

    /// <summary>Interrupts the driver when chains were returned and its suppression state allows it; true when it did.</summary>
    protected bool SignalIfWanted(VirtQueue queue, bool returnedChains)
    {
        if (returnedChains && queue.ShouldInterrupt())
        {
            Transport.SignalUsedBuffers();
            return true;
        }
        return false;
    }

    /// <summary>Reports a host-side problem (not the guest's doing) on the device's log.</summary>
    protected void ReportHostProblem(string message) => Log(message);

    /// <summary>Writes a line on the device's log, named by the device (e.g. its counters when it stops).</summary>
    protected void Log(string message) => _log($"[virtio {Name}] {message}");

    /// <summary>Takes <see cref="Sync"/> for disposing, waiting at most <see cref="DisposeTimeout"/>; false (reported) when
    /// the lock stays held. The caller releases it with <c>Monitor.Exit(Sync)</c>.</summary>
    protected bool TryEnterForDispose()
    {
        if (Monitor.TryEnter(Sync, DisposeTimeout))
        {
            return true;
        }
        ReportHostDisposeStuck();
        return false;
    }

    /// <summary>Reports that disposing gave up on the device lock.</summary>
    protected void ReportHostDisposeStuck() =>
        ReportHostProblem($"dispose gave up: the device lock is still held after {DisposeTimeout.TotalSeconds:0.#} s (the event loop is stuck in this device); its host resources are left open");

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}
