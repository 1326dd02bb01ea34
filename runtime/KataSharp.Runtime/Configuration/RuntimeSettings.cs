namespace KataSharp.Runtime.Configuration;

/// <summary>[runtime]: host-side behaviour of the shim.</summary>
public sealed record RuntimeSettings(string LayerCacheDir, bool Debug, int IoDrainTimeoutSeconds);
