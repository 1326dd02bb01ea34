namespace KataSharp.Runtime.Volumes;

/// <summary>One step of bringing the guest copy of a volume up to date (<see cref="VolumeSyncPlan"/>).</summary>
/// <param name="Path">Relative to the volume's root ("" for the root itself).</param>
/// <param name="Entry">What to write; null for a removal.</param>
public sealed record VolumeChange(string Path, VolumeEntry? Entry)
{
    public bool IsRemoval => Entry is null;
}
