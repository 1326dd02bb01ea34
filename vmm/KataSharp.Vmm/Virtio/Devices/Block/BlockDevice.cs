using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Threading;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>
/// virtio-blk (device id 2): one request queue served from a file-backed <see cref="FileBlockBackend"/> by the device's
/// own <see cref="BlockWorker"/> thread, never on the VM's event loop (a slow disk must not stall vsock, net or another
/// disk: the loop only kicks the worker). IN, OUT, FLUSH and GET_ID are supported; other request types answer
/// UNSUPP; anything out of range or failing answers IOERR.
/// A slot may start with no media (capacity 0). <see cref="Attach"/> and <see cref="Detach"/> are commands the worker
/// runs between two requests — never during one — so the backend is only ever used by that thread; the swap then bumps
/// the config generation and raises a config-change interrupt so Linux re-reads the capacity. Read-only is a
/// property of the slot (VIRTIO_BLK_F_RO is negotiated once at probe), so every medium of a read-only
/// slot opens read-only. A writable slot can also take a read-only medium: the guest still sees a writable
/// disk, but the medium's descriptor is read-only and every write is answered IOERR, so the guest cannot
/// change it whatever it does.
/// <para>
/// Threading: the worker takes the device lock only around ring accesses (pop, used entry, interrupt) and does the I/O
/// without it, so a vCPU reading the config space or writing a register never waits for the disk. A driver reset
/// (on a vCPU, under the lock) moves the ring generation on and waits at most <see cref="ResetDrainTimeout"/> for
/// the request in hand to leave the backend; that request's completion is then dropped, not written to the new rings.
/// </para>
/// </summary>
public sealed class BlockDevice : VirtioDevice
{
    /// <summary>virtio_blk GET_ID answers at most this many bytes (VIRTIO_BLK_ID_BYTES).</summary>
    public const int SerialMaxBytes = 20;

    private const int SectorShift = 9;

    /// <summary>How long host media changes wait for the worker to take them (it may be in a slow request).</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a driver reset waits for the request in hand to leave the backend.</summary>
    public static readonly TimeSpan DefaultResetDrainTimeout = TimeSpan.FromSeconds(5);

    private readonly BlockWorker _worker;
    private readonly object _requestGate = new(); // guards _inFlight; never held with Sync taken after it
    private FileBlockBackend? _backend; // replaced only on the worker thread (or once it has ended), under Sync
    private string _serial;
    private long _ringGeneration; // moves on at every reset (under Sync): a request popped before it is never completed
    private bool _inFlight;

    /// <param name="name">Log name, e.g. "blk0".</param>
    /// <param name="readOnly">Offer VIRTIO_BLK_F_RO and open every medium read-only.</param>
    /// <param name="serial">What GET_ID answers while no medium overrides it (at most 20 ASCII bytes).</param>
    /// <param name="path">Initial medium, or null for an empty slot.</param>
    public BlockDevice(string name, bool readOnly, string? serial = null, string? path = null, Action<string>? logSink = null)
        : base(name, queueCount: 1, QueueLimits.DefaultMaxQueueSize, logSink)
    {
        IsReadOnly = readOnly;
        _serial = ValidateSerial(serial ?? "");
        SlotSerial = _serial;
        if (path is not null)
        {
            _backend = FileBlockBackend.Open(path, readOnly);
        }
        _worker = new BlockWorker($"{name}-io", ServeTurn, e => Transport.ReportInternalError(e, "while serving the request queue"), Log);
    }

    /// <summary>How long <see cref="Attach"/> and <see cref="Detach"/> wait for the worker to take the change.</summary>
    public TimeSpan CommandTimeout { get; init; } = DefaultCommandTimeout;

    /// <summary>How long a driver reset (on a vCPU) waits for the request in hand; past it the request's completion is
    /// dropped, though its data may still land in guest memory the driver reset (its own doing: Linux resets only idle queues).</summary>
    public TimeSpan ResetDrainTimeout { get; init; } = DefaultResetDrainTimeout;

    /// <summary>Called on the worker before each request's I/O, without the device lock: tests stand a slow or hung disk
    /// in here (block until released) to show what waits for it and what does not.</summary>
    internal Action<BlockRequestType>? BeforeRequest { get; set; }

    /// <summary>The worker thread's name ("blk0-io").</summary>
    public string WorkerName => _worker.Name;

    /// <summary>The worker's lifecycle state.</summary>
    public BlockWorkerState WorkerState => _worker.State;

    /// <summary>True once the worker thread has returned: nothing touches the backend or guest memory for this device any more.</summary>
    public bool WorkerHasEnded => _worker.HasEnded;

    public bool IsReadOnly { get; }

    /// <summary>The serial given at creation (answered while the slot is empty).</summary>
    public string SlotSerial { get; }

    public BlockMetrics Metrics { get; } = new();

    /// <summary>The current medium's path, or null when the slot is empty.</summary>
    public string? MediaPath
    {
        get
        {
            lock (Sync)
            {
                return _backend?.Path;
            }
        }
    }

    /// <summary>Whether the current medium is read-only (every medium of a read-only slot is); false when the slot is empty.</summary>
    public bool MediaIsReadOnly
    {
        get
        {
            lock (Sync)
            {
                return _backend?.IsReadOnly ?? false;
            }
        }
    }

    /// <summary>What GET_ID answers now.</summary>
    public string Serial
    {
        get
        {
            lock (Sync)
            {
                return _serial;
            }
        }
    }

    /// <summary>Capacity in 512-byte sectors (0 when empty).</summary>
    public ulong CapacitySectors
    {
        get
        {
            lock (Sync)
            {
                return _backend?.CapacitySectors ?? 0;
            }
        }
    }

    public override VirtioDeviceType DeviceType => VirtioDeviceType.Block;

    public override ulong OfferedFeatures =>
        VirtioFeatures.Common | BlockFeatures.SizeMax | BlockFeatures.SegMax | BlockFeatures.BlockSize | BlockFeatures.Flush
        | (IsReadOnly ? BlockFeatures.ReadOnly : 0);

    public override int ConfigSize => BlockConfig.Size;

    /// <summary>
    /// Inserts (or replaces) the medium: opens <paramref name="path"/> read-only on a read-only slot or when
    /// <paramref name="readOnly"/> asks for it (read-write otherwise), swaps it in between requests and announces
    /// the new capacity. <paramref name="serial"/> becomes the GET_ID answer (default: the slot's serial). Throws
    /// <see cref="BlockDeviceException"/> and leaves the old medium in place when the file cannot be used, or when a
    /// read-write medium is asked of a read-only slot.
    /// </summary>
    public void Attach(string path, string? serial = null, bool? readOnly = null)
    {
        CheckWritable(path, readOnly);
        // Opened here, on the caller's thread: nobody else sees the new backend until the worker swaps it in.
        Attach(FileBlockBackend.Open(path, IsReadOnly || (readOnly ?? false)), path, serial);
    }

    /// <summary>As <see cref="Attach(string, string?, bool?)"/> with a medium the caller opened (a confined VMM is handed
    /// descriptors, it cannot open host paths); the descriptor is owned from here, closed on failure too.</summary>
    public void Attach(FileDescriptor medium, string label, string? serial = null, bool? readOnly = null)
    {
        try
        {
            CheckWritable(label, readOnly);
        }
        catch
        {
            medium.Dispose();
            throw;
        }
        Attach(FileBlockBackend.FromDescriptor(medium, label, IsReadOnly || (readOnly ?? false)), label, serial);
    }

    private void CheckWritable(string label, bool? readOnly)
    {
        if (IsReadOnly && readOnly == false)
        {
            throw new BlockDeviceException($"{Name}: cannot attach '{label}' read-write: the slot is read-only (VIRTIO_BLK_F_RO); use a writable slot");
        }
    }

    private void Attach(FileBlockBackend replacement, string path, string? serial)
    {
        string newSerial;
        try
        {
            newSerial = ValidateSerial(serial ?? SlotSerial);
        }
        catch
        {
            replacement.Dispose();
            throw;
        }
        int owner = 0; // who disposes the replacement if it is never swapped in: settled once, by whoever gets there first
        try
        {
            RunCommand(() =>
            {
                if (Interlocked.CompareExchange(ref owner, 1, 0) == 0)
                {
                    Swap(replacement, newSerial);
                }
            }, $"attaching '{path}'");
        }
        finally
        {
            if (Interlocked.CompareExchange(ref owner, 2, 0) == 0)
            {
                replacement.Dispose(); // withdrawn or refused: the old medium stays, the new one goes
            }
        }
    }

    /// <summary>Ejects the medium: capacity becomes 0 and every request fails with IOERR until the next attach.</summary>
    public void Detach() => RunCommand(() => Swap(null, SlotSerial), "ejecting the medium");

    /// <summary>
    /// Runs a media change on the worker between two requests and waits (at most <see cref="CommandTimeout"/>). Once the
    /// worker has ended (the VM stopped) the change runs here instead: the worker will never use the backend again. A
    /// worker that was asked to stop but is still in a request refuses it: it may still be using the backend.
    /// </summary>
    private void RunCommand(Action change, string what)
    {
        bool ran;
        try
        {
            ran = _worker.Run(change, CommandTimeout);
        }
        catch (TimeoutException e)
        {
            throw new BlockDeviceException($"{Name}: {what} did not happen: {e.Message}", e, VmmFailure.HostFailure);
        }
        if (ran)
        {
            return;
        }
        if (!_worker.HasEnded)
        {
            throw new BlockDeviceException($"{Name}: {what} refused: the device is stopping and its worker '{_worker.Name}' is still in a request", failure: VmmFailure.HostFailure);
        }
        change();
    }

    private void Swap(FileBlockBackend? replacement, string serial)
    {
        FileBlockBackend? old;
        lock (Sync)
        {
            old = _backend;
            _backend = replacement;
            _serial = serial;
            Metrics.MediaChanges++;
            NotifyConfigChanged();
        }
        old?.Dispose();
    }

    /// <summary>Waits until the worker has nothing in hand (deterministic drivers: the fuzz benchmark); false after
    /// <paramref name="timeout"/>.</summary>
    internal bool WaitForWorkerIdle(TimeSpan timeout) => _worker.WaitUntilIdle(timeout);

    /// <summary>
    /// Ends the worker once the vCPUs have stopped (the VM's stop): the request in hand finishes, no new one starts, and
    /// guest memory is not written for this device afterwards. Bounded by <paramref name="timeout"/>; false (logged) when the
    /// worker is still in the backend then. Media changes afterwards run on the caller's thread.
    /// </summary>
    public bool StopServing(TimeSpan timeout) => _worker.Stop(timeout);

    protected override void RenderConfig(Span<byte> config) => BlockConfig.Render(config, _backend?.CapacitySectors ?? 0);

    /// <summary>The event loop never processes this queue: it kicks the worker (see the class remarks).</summary>
    protected override void ProcessQueue(int index) => _worker.Kick();

    internal override bool HandOffNotification(int index, bool wait)
    {
        if (!wait)
        {
            _worker.Kick();
        }
        else if (_worker.State == BlockWorkerState.Running)
        {
            try
            {
                _worker.ServeTurnAndWait(CommandTimeout);
            }
            catch (ObjectDisposedException)
            {
                // Stopped meanwhile: a stopped device serves nothing, as after the VM's stop.
            }
        }
        return true;
    }

    /// <summary>
    /// A driver reset (vCPU thread, under <see cref="VirtioDevice.Sync"/>): the ring generation moves on so that the worker
    /// completes nothing it popped from the old rings, and the reset waits (bounded) for the request in hand to leave the
    /// backend, so the guest's buffers are not written after the driver sees status 0.
    /// </summary>
    protected override void OnReset()
    {
        _ringGeneration++;
        lock (_requestGate)
        {
            var deadline = Deadline.After(ResetDrainTimeout);
            while (_inFlight)
            {
                if (!Monitor.Wait(_requestGate, deadline.Remaining))
                {
                    ReportHostProblem($"reset: a request is still in the backend after {ResetDrainTimeout.TotalSeconds:0.#} s; its completion will be dropped");
                    return;
                }
            }
        }
    }

    /// <summary>
    /// One turn on the worker thread, with the bounds of <see cref="VirtioDevice"/>'s common queue loop
    /// (<see cref="QueueLimits.ChainsPerTurn"/> chains, <see cref="QueueLimits.BytesPerTurn"/> bytes, then a re-kick through
    /// the event loop), but with the device lock only around ring accesses: each request runs without it.
    /// </summary>
    private void ServeTurn()
    {
        VirtQueue queue = Queues[0];
        long generation;
        lock (Sync)
        {
            if (!IsActivated || IsFailed)
            {
                return;
            }
            generation = _ringGeneration;
        }
        bool returned = false;
        ulong bytes = 0;
        for (int turn = 0; ; turn++)
        {
            DescriptorChain chain;
            lock (Sync)
            {
                if (_ringGeneration != generation || IsFailed)
                {
                    return; // reset (or parked) meanwhile: these rings are not the driver's any more
                }
                if (turn == QueueLimits.ChainsPerTurn || bytes >= QueueLimits.BytesPerTurn)
                {
                    Transport.RequeueNotification(0);
                    break;
                }
                QueuePopResult result = queue.TryPop(out chain);
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
                    Fail($"queue 0: {queue.BrokenReason}");
                    return;
                }
                if (result == QueuePopResult.Malformed)
                {
                    GuestErrors.Report($"queue 0: dropped chain at head {chain.Head}: {chain.Problem}");
                    queue.AddUsed(chain.Head, 0);
                    returned = true;
                    continue;
                }
                SetInFlight(true);
            }
            uint written;
            try
            {
                written = Execute(chain);
            }
            finally
            {
                SetInFlight(false);
            }
            bytes += chain.Reader.BytesRead + chain.Writer.BytesWritten;
            lock (Sync)
            {
                if (_ringGeneration != generation)
                {
                    return;
                }
                queue.AddUsed(chain.Head, written);
                returned = true;
            }
        }
        lock (Sync)
        {
            if (_ringGeneration == generation)
            {
                SignalIfWanted(queue, returned);
            }
        }
    }

    private void SetInFlight(bool inFlight)
    {
        lock (_requestGate)
        {
            _inFlight = inFlight;
            Monitor.PulseAll(_requestGate);
        }
    }

    private uint Execute(DescriptorChain chain)
    {
        if (!chain.Reader.TryRead(out BlockRequestHeader header))
        {
            GuestErrors.Report($"request at head {chain.Head} has no 16-byte header ({chain.ReadableBytes} readable bytes)");
            return 0;
        }
        if (chain.WritableBytes == 0)
        {
            GuestErrors.Report($"request at head {chain.Head} has no writable status byte");
            return 0;
        }
        BeforeRequest?.Invoke(header.Type);
        ChainWriter writer = chain.Writer;
        ulong dataIn = chain.WritableBytes - 1;
        BlockStatus status;
        try
        {
            status = header.Type switch
            {
                BlockRequestType.In => Read(header.Sector, writer, dataIn),
                BlockRequestType.Out => Write(header.Sector, chain.Reader),
                BlockRequestType.Flush => Flush(),
                BlockRequestType.GetId => GetId(writer, dataIn),
                _ => BlockStatus.Unsupported,
            };
        }
        catch (LinuxException e)
        {
            GuestErrors.Report($"host I/O error on {_backend?.Path}: {e.Message}");
            status = BlockStatus.IoError;
        }
        if (status != BlockStatus.Ok)
        {
            Metrics.Errors++;
        }
        // The status byte is the chain's last writable byte, wherever the data part ended.
        writer.Advance((long)(writer.Remaining - 1));
        writer.Write([(byte)status]);
        return status == BlockStatus.Ok ? (uint)writer.BytesWritten : 1;
    }

    private BlockStatus Read(ulong sector, ChainWriter writer, ulong length)
    {
        if (_backend is not { } backend || !TryRange(backend, sector, length, out long offset))
        {
            return BlockStatus.IoError;
        }
        ulong done = 0;
        while (done < length)
        {
            Span<byte> target = writer.CurrentSpan((int)Math.Min(length - done, int.MaxValue));
            // An empty span cannot happen for a validated chain; never loop without progress if it did.
            if (target.IsEmpty || !backend.ReadAt(target, offset + (long)done))
            {
                return BlockStatus.IoError;
            }
            writer.Advance(target.Length);
            done += (ulong)target.Length;
        }
        Metrics.Reads++;
        Metrics.BytesRead += (long)length;
        return BlockStatus.Ok;
    }

    private BlockStatus Write(ulong sector, ChainReader reader)
    {
        ulong length = reader.Remaining;
        if (_backend is not { } backend || backend.IsReadOnly || !TryRange(backend, sector, length, out long offset))
        {
            return BlockStatus.IoError;
        }
        ulong done = 0;
        while (done < length)
        {
            ReadOnlySpan<byte> source = reader.CurrentSpan((int)Math.Min(length - done, int.MaxValue));
            if (source.IsEmpty)
            {
                return BlockStatus.IoError; // cannot happen for a validated chain; never loop without progress
            }
            backend.WriteAt(source, offset + (long)done);
            reader.Advance(source.Length);
            done += (ulong)source.Length;
        }
        Metrics.Writes++;
        Metrics.BytesWritten += (long)length;
        return BlockStatus.Ok;
    }

    private BlockStatus Flush()
    {
        if (_backend is { IsReadOnly: false } backend)
        {
            backend.Flush();
        }
        Metrics.Flushes++;
        return BlockStatus.Ok;
    }

    private BlockStatus GetId(ChainWriter writer, ulong room)
    {
        Span<byte> id = stackalloc byte[SerialMaxBytes];
        id.Clear();
        System.Text.Encoding.ASCII.GetBytes(_serial, id);
        writer.Write(id[..(int)Math.Min(room, SerialMaxBytes)]);
        return BlockStatus.Ok;
    }

    /// <summary>Data length must be whole sectors, at most <see cref="BlockConfig.RequestBytesMax"/>, and inside the medium.</summary>
    private bool TryRange(FileBlockBackend backend, ulong sector, ulong length, out long offset)
    {
        offset = 0;
        if (length % BlockConfig.SectorSize != 0 || length > BlockConfig.RequestBytesMax)
        {
            GuestErrors.Report($"request of {length} bytes at sector {sector}: not whole sectors or over {BlockConfig.RequestBytesMax} bytes");
            return false;
        }
        ulong sectors = length >> SectorShift;
        ulong capacity = backend.CapacitySectors;
        if (sector > capacity || sectors > capacity - sector)
        {
            return false;
        }
        offset = (long)(sector << SectorShift);
        return true;
    }

    private static string ValidateSerial(string serial)
    {
        if (serial.Length > SerialMaxBytes || serial.Any(c => c < 0x20 || c > 0x7e))
        {
            throw new BlockDeviceException($"block serial '{serial}' must be at most {SerialMaxBytes} printable ASCII characters");
        }
        return serial;
    }

    /// <summary>Stops the worker (bounded by <see cref="VirtioDevice.DisposeTimeout"/>), then closes the medium. A worker
    /// still in the backend is reported and the medium left open: it may still be reading it.</summary>
    public override void Dispose()
    {
        if (_worker.Stop(DisposeTimeout) && TryEnterForDispose())
        {
            try
            {
                _backend?.Dispose();
                _backend = null;
            }
            finally
            {
                Monitor.Exit(Sync);
            }
        }
        base.Dispose();
    }
}
