namespace KataSharp.Agent.Engine;

/// <summary>Where the engine keeps its state and finds its helpers.</summary>
public sealed record EngineOptions
{
    /// <summary>Per-container directories (rootfs, scratch) and shared layer mounts live here.</summary>
    public required string StateDir { get; init; }

    /// <summary>The cgroup v2 mount point (/sys/fs/cgroup in the guest).</summary>
    public string CgroupMountPoint { get; init; } = "/sys/fs/cgroup";

    /// <summary>The agent's subtree under <see cref="CgroupMountPoint"/>.</summary>
    public string CgroupName { get; init; } = "katasharp";

    /// <summary>Path of the ks-spawn helper.</summary>
    public required string SpawnHelperPath { get; init; }

    /// <summary>True when the agent owns every child of its process (the guest); false when embedded in tests.</summary>
    public bool ReapUnknownChildren { get; init; }

    /// <summary>Where to look for block devices by serial (tests point this at a fake sysfs).</summary>
    public string SysBlockDir { get; init; } = "/sys/block";

    /// <summary>The guest's device numbers (char/MAJ:MIN, block/MAJ:MIN; tests point this at a fake sysfs).</summary>
    public string SysDevDir { get; init; } = "/sys/dev";
}
