namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>Counters of one virtio-blk device (written only by its worker thread; 64-bit reads elsewhere are whole).</summary>
public sealed class BlockMetrics
{
    public long Reads { get; internal set; }

    public long Writes { get; internal set; }

    public long Flushes { get; internal set; }

    public long BytesRead { get; internal set; }

    public long BytesWritten { get; internal set; }

    /// <summary>Requests answered IOERR or UNSUPP.</summary>
    public long Errors { get; internal set; }

    /// <summary>Backends attached or detached after creation.</summary>
    public long MediaChanges { get; internal set; }
}
