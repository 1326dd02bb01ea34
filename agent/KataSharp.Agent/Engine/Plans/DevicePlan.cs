namespace KataSharp.Agent.Engine.Plans;

/// <summary>A device node to create under the container root (mode includes S_IFCHR/S_IFBLK).</summary>
public sealed record DevicePlan(string Path, uint Mode, uint Major, uint Minor, uint Uid, uint Gid)
{
    /// <summary>S_IFCHR: a character device.</summary>
    public const uint CharDevice = 0x2000;

    /// <summary>S_IFBLK: a block device.</summary>
    public const uint BlockDevice = 0x6000;

    public bool IsBlock => (Mode & 0xf000) == BlockDevice;

    /// <summary>"b 7:0" or "c 10:232", for messages.</summary>
    public string Number => $"{(IsBlock ? 'b' : 'c')} {Major}:{Minor}";
}
