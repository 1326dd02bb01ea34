namespace KataSharp.Runtime.Volumes;

/// <summary>Bounds of one copied volume (configuration.toml [runtime] volume_max_mib, volume_max_entries): what the shim reads
/// from the host and holds in the guest's RAM per volume. <paramref name="ConfigPath"/> is named in the error, for raising them.</summary>
public sealed record VolumeLimits(long MaxBytes, int MaxEntries, string ConfigPath)
{
    public const string MaxMibKey = "volume_max_mib", MaxEntriesKey = "volume_max_entries";
}
