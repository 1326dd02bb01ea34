namespace KataSharp.Runtime.Configuration;

/// <summary>[runtime]: host-side behaviour of the shim.</summary>
/// <param name="SandboxCgroup">Whether the shim (VMM threads and guest RAM) moves into the pod's cgroup.</param>
public sealed record RuntimeSettings(string LayerCacheDir, bool Debug, int IoDrainTimeoutSeconds, bool SandboxCgroup = true);
