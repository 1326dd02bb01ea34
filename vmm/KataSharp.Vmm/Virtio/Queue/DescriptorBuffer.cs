using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>One validated buffer of a descriptor chain: [Address, Address+Length) lies inside guest RAM.</summary>
public readonly record struct DescriptorBuffer(GuestAddress Address, uint Length, bool IsWriteOnly);
