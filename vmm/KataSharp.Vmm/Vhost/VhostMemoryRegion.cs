namespace KataSharp.Vmm.Vhost;

/// <summary>One entry of vhost's memory table: guest-physical [<paramref name="GuestAddress"/>, +<paramref name="Size"/>)
/// is mapped at <paramref name="UserAddress"/> in the VMM process.</summary>
public readonly record struct VhostMemoryRegion(ulong GuestAddress, ulong Size, ulong UserAddress);
