namespace KataSharp.Runtime.Configuration;

/// <summary>[runtime]: host-side behaviour of the shim.</summary>
public sealed record RuntimeSettings(string LayerCacheDir, string StateDir, bool Debug, int IoDrainTimeoutSeconds);
