namespace KataSharp.Cli.Reports;

/// <summary>
/// `katasharp env --json`: where the configuration came from, the state directory, the shim, and
/// every resolved key under its table's name (hypervisor, agent, runtime) with the key names of
/// configuration.toml. When the configuration does not load, error says why and the tables are null.
/// </summary>
public sealed record EnvReport(
    EnvConfigSource Config,
    string StateDir,
    string? ShimPath,
    string? Error,
    EnvHypervisor? Hypervisor,
    EnvAgent? Agent,
    EnvRuntime? Runtime);

/// <summary>The configuration file in effect (null path: none, built-in defaults) and why that one.</summary>
public sealed record EnvConfigSource(string? Path, string Reason);

/// <summary>[hypervisor.katasharp], with whether the guest assets exist.</summary>
public sealed record EnvHypervisor(
    string Kernel, bool KernelExists, string Initrd, bool InitrdExists, int Vcpus, int MemoryMib, string KernelParams,
    int BootTimeoutSeconds, int BlockSlots, int MaxVcpus, int MaxMemoryMib);

/// <summary>[agent].</summary>
public sealed record EnvAgent(
    int DialTimeoutSeconds, int ReadyTimeoutSeconds, int RequestTimeoutSeconds, int KeepaliveIntervalSeconds, int KeepaliveTimeoutSeconds);

/// <summary>[runtime]; <paramref name="LogLevel"/> as written in the file (debug, info, warn, error).</summary>
public sealed record EnvRuntime(
    string LayerCacheDir, int LayerCacheMaxMib, bool Debug, int IoDrainTimeoutSeconds, bool SandboxCgroup,
    int VolumeMaxMib, int VolumeMaxEntries, int VolumeSyncIntervalMs, string LogLevel, int ConsoleLogMaxKib, bool DebugConsole = false);
