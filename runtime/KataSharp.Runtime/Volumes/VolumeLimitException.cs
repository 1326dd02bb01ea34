namespace KataSharp.Runtime.Volumes;

/// <summary>A volume over <see cref="VolumeLimits"/>: at Create the container fails with it, during sync the update is not applied.</summary>
public sealed class VolumeLimitException(string message) : Exception(message);
