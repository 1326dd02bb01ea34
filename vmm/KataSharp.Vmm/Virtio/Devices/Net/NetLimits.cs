namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// Bounds on frames and on the work one queue turn may do (the threat table in Virtio/README.md).
/// Host memory per device: one RX and one TX frame buffer of <see cref="MaxBufferedBytes"/> each; no
/// frame queue (frames the guest has no room for stay in the tap, whose kernel queue drops).
/// </summary>
public static class NetLimits
{
    /// <summary>Shortest frame either way: an Ethernet header.</summary>
    public const int MinFrameBytes = 14;

    /// <summary>Largest frame either way, header excluded: a 64 KiB GSO segment with its Ethernet and VLAN
    /// headers (the spec's "buffers of at least 65562 bytes" for big packets, minus the 12-byte header).</summary>
    public const int MaxFrameBytes = 65550;

    /// <summary>One frame with its virtio_net_hdr: the size of each host-side frame buffer.</summary>
    public const int MaxBufferedBytes = NetHeader.Size + MaxFrameBytes;

    /// <summary>Frames one RX or TX turn moves before yielding the event loop (the queue is re-kicked).</summary>
    public const int FramesPerTurn = 256;

    /// <summary>Bytes one RX or TX turn moves before yielding the event loop.</summary>
    public const long BytesPerTurn = 2 * 1024 * 1024;
}
