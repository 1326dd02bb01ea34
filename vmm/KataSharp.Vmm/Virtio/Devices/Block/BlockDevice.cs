using KataSharp.Linux;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>
/// virtio-blk (device id 2): one request queue served synchronously from a file-backed
/// <see cref="FileBlockBackend"/>. IN, OUT, FLUSH and GET_ID are supported; other request types answer
/// UNSUPP; anything out of range or failing answers IOERR.
/// A slot may start with no media (capacity 0). <see cref="Attach"/> and <see cref="Detach"/> swap the
/// backend under the device lock — between two requests, never during one — then bump the config
/// generation and raise a config-change interrupt so Linux re-reads the capacity. Read-only is a
/// property of the slot (VIRTIO_BLK_F_RO is negotiated once at probe), so every medium of a read-only
/// slot opens read-only. A writable slot can also take a read-only medium: the guest still sees a writable
/// disk, but the medium's descriptor is read-only and every write is answered IOERR, so the guest cannot
/// change it whatever it does.
/// </summary>
public sealed class BlockDevice : VirtioDevice
{
    /// <summary>virtio_blk GET_ID answers at most this many bytes (VIRTIO_BLK_ID_BYTES).</summary>
    public const int SerialMaxBytes = 20;

    private const int SectorShift = 9;

    private FileBlockBackend? _backend;
    private string _serial;

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
    }

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
        string newSerial = ValidateSerial(serial ?? SlotSerial);
        if (IsReadOnly && readOnly == false)
        {
            throw new BlockDeviceException($"{Name}: cannot attach '{path}' read-write: the slot is read-only (VIRTIO_BLK_F_RO); use a writable slot");
        }
        FileBlockBackend replacement = FileBlockBackend.Open(path, IsReadOnly || (readOnly ?? false));
        Swap(replacement, newSerial);
    }

    /// <summary>Ejects the medium: capacity becomes 0 and every request fails with IOERR until the next attach.</summary>
    public void Detach() => Swap(null, SlotSerial);

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

    protected override void RenderConfig(Span<byte> config) => BlockConfig.Render(config, _backend?.CapacitySectors ?? 0);

    protected override void ProcessQueue(int index) => ProcessAvailableChains(index, Execute);

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

    public override void Dispose()
    {
        if (TryEnterForDispose())
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
