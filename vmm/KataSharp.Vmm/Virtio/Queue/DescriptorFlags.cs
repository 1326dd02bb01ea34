namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>virtq_desc.flags (virtio spec 1.2 §2.7.5).</summary>
[Flags]
public enum DescriptorFlags : ushort
{
    None = 0,

    /// <summary>The chain continues at <c>next</c>.</summary>
    Next = 1,

    /// <summary>The device writes this buffer (otherwise it only reads it).</summary>
    Write = 2,

    /// <summary>The buffer is a table of further descriptors.</summary>
    Indirect = 4,
}
