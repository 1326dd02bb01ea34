namespace KataSharp.Vmm.Virtio;

/// <summary>
/// Device-independent feature bits (virtio spec 1.2 §6). ANY_LAYOUT (bit 27) is not listed:
/// VERSION_1 implies it, and every device here accepts any split of headers and data across
/// descriptors (Linux ≥ 6.3 puts a vsock header and its payload in one buffer).
/// </summary>
public static class VirtioFeatures
{
    /// <summary>Descriptors may point at an indirect descriptor table.</summary>
    public const int RingIndirectDescBit = 28;

    /// <summary>used_event / avail_event notification suppression.</summary>
    public const int RingEventIdxBit = 29;

    /// <summary>Modern (non-legacy) device; a driver that does not ack it is refused at FEATURES_OK.</summary>
    public const int Version1Bit = 32;

    public const ulong RingIndirectDesc = 1UL << RingIndirectDescBit;

    public const ulong RingEventIdx = 1UL << RingEventIdxBit;

    public const ulong Version1 = 1UL << Version1Bit;

    /// <summary>What every KataSharp device offers on top of its own bits.</summary>
    public const ulong Common = Version1 | RingEventIdx | RingIndirectDesc;
}
