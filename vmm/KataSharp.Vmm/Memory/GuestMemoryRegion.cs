namespace KataSharp.Vmm.Memory;

/// <summary>One contiguous range of guest RAM and where it lives in the host mapping.</summary>
/// <param name="Start">First guest-physical address.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="HostAddress">Host virtual address of <paramref name="Start"/> (for KVM_SET_USER_MEMORY_REGION).</param>
/// <param name="MappingOffset">Offset of <paramref name="Start"/> in the memfd and in the host mapping.</param>
public sealed record GuestMemoryRegion(GuestAddress Start, ulong Size, ulong HostAddress, ulong MappingOffset)
{
    /// <summary>One past the last byte; regions never end at 2^64 (they are below the 64-bit hole).</summary>
    public ulong End => Start.Value + Size;

    public bool Contains(GuestAddress address, ulong length) =>
        address.Value >= Start.Value && length <= Size && address.Value - Start.Value <= Size - length;
}
