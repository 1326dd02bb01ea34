using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Engine.Plans;

/// <summary>One mount inside the container root, with OCI options already split into flags and data.</summary>
public sealed record MountPlan(string Source, string Destination, string Type, MountFlags Flags, MountFlags Propagation, string Data, bool IsFile);
