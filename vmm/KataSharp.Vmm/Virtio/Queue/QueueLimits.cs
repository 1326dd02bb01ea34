namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// Caps on what a guest may ask of a virtqueue. Each one bounds work or memory per request;
/// see Virtio/README.md for the threat table they belong to.
/// </summary>
public static class QueueLimits
{
    /// <summary>Largest queue a device offers (QueueNumMax). Linux uses what we offer.</summary>
    public const ushort DefaultMaxQueueSize = 256;

    /// <summary>Spec ceiling for a split queue size.</summary>
    public const ushort SpecMaxQueueSize = 32768;

    /// <summary>Entries in one indirect table (16 bytes each, so at most 16 KiB walked per chain).</summary>
    public const int MaxIndirectEntries = 1024;

    /// <summary>Sum of a chain's buffer lengths: used.len is 32 bits, and bigger requests are never legitimate here.</summary>
    public const ulong MaxChainBytes = uint.MaxValue;

    /// <summary>Chains one queue handler processes before yielding the event loop to other devices.</summary>
    public const int ChainsPerTurn = 512;

    /// <summary>Bytes one queue handler moves (read from plus written to guest buffers) before yielding: a guest
    /// that makes every chain claim a big buffer (overlapping descriptors cost it nothing) cannot make one turn of
    /// the event loop copy gigabytes. At least one chain is always served.</summary>
    public const ulong BytesPerTurn = 8 << 20;
}
