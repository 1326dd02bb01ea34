using System.Buffers.Binary;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>
/// struct virtio_blk_config as far as KataSharp fills it (virtio spec 1.2 §5.2.4): capacity in 512-byte
/// sectors at 0, size_max at 8, seg_max at 12, geometry (unused, zero) at 16, blk_size at 20; the rest
/// (topology, writeback, discard...) reads as zero.
/// </summary>
public static class BlockConfig
{
    /// <summary>Through max_discard_sectors: every field a driver might read without a feature reads as zero.</summary>
    public const int Size = 40;

    /// <summary>The unit of capacity and of request sectors, whatever blk_size says.</summary>
    public const int SectorSize = 512;

    /// <summary>Largest segment the driver may use (Linux max_segment_size).</summary>
    public const uint SegmentSizeMax = 128 * 1024;

    /// <summary>Most data segments per request: the queue size minus header and status.</summary>
    public const uint SegmentsMax = 254;

    /// <summary>Logical block size reported to the guest.</summary>
    public const uint LogicalBlockSize = 512;

    /// <summary>Largest data transfer of one request (segments × segment size, rounded up):
    /// bigger requests cannot come from a driver that honours the config and are refused with IOERR.</summary>
    public const ulong RequestBytesMax = 32 * 1024 * 1024;

    public static void Render(Span<byte> config, ulong capacitySectors)
    {
        config.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(config, capacitySectors);
        BinaryPrimitives.WriteUInt32LittleEndian(config[8..], SegmentSizeMax);
        BinaryPrimitives.WriteUInt32LittleEndian(config[12..], SegmentsMax);
        BinaryPrimitives.WriteUInt32LittleEndian(config[20..], LogicalBlockSize);
    }
}
