namespace KataSharp.Agent.Engine.Plans;

/// <summary>The five capability sets as bit masks (bit n = capability n).</summary>
public readonly record struct CapabilitySets(ulong Bounding, ulong Effective, ulong Inheritable, ulong Permitted, ulong Ambient);
