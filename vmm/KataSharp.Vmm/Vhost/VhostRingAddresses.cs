namespace KataSharp.Vmm.Vhost;

/// <summary>Where a virtqueue's descriptor table, available ring and used ring are, as VMM userspace addresses.</summary>
public readonly record struct VhostRingAddresses(ulong Descriptors, ulong Avail, ulong Used);
