namespace KataSharp.Vmm.Boot;

/// <summary>A part of the kernel file copied to guest-physical memory; bytes past the file part are zeroed.</summary>
/// <param name="FileOffset">Where the bytes start in the file.</param>
/// <param name="FileSize">How many bytes come from the file.</param>
/// <param name="GuestAddress">Guest-physical load address.</param>
/// <param name="MemorySize">Bytes occupied in guest memory (≥ <paramref name="FileSize"/>).</param>
public sealed record KernelSegment(long FileOffset, ulong FileSize, ulong GuestAddress, ulong MemorySize)
{
    public ulong End => GuestAddress + MemorySize;
}
