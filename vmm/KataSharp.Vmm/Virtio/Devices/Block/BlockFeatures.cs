namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>virtio-blk feature bits (virtio spec 1.2 §5.2.3) that KataSharp offers.</summary>
public static class BlockFeatures
{
    /// <summary>config.size_max is the largest single segment.</summary>
    public const ulong SizeMax = 1UL << 1;

    /// <summary>config.seg_max is the most data segments per request.</summary>
    public const ulong SegMax = 1UL << 2;

    /// <summary>The device is read-only: Linux marks the disk read-only and never sends OUT.</summary>
    public const ulong ReadOnly = 1UL << 5;

    /// <summary>config.blk_size is the logical block size.</summary>
    public const ulong BlockSize = 1UL << 6;

    /// <summary>FLUSH requests are supported (a write-back cache to drain).</summary>
    public const ulong Flush = 1UL << 9;
}
