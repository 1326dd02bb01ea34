namespace KataSharp.Agent.Engine.Plans;

/// <summary>A device node to create under the container root (mode includes S_IFCHR/S_IFBLK).</summary>
public sealed record DevicePlan(string Path, uint Mode, uint Major, uint Minor, uint Uid, uint Gid);
