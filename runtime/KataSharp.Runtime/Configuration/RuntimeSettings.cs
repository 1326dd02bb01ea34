using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Configuration;

/// <summary>[runtime]: host-side behaviour of the shim.</summary>
/// <param name="Debug">Debug lines in the shim log whatever <paramref name="LogLevel"/> says; also a verbose guest kernel and agent.</param>
/// <param name="SandboxCgroup">Whether the shim (VMM threads and guest RAM) moves into the pod's cgroup.</param>
/// <param name="VolumeMaxMib">Per copied kubelet volume (configmap, secret, projected, downward API): most MiB of files.</param>
/// <param name="VolumeMaxEntries">Per copied volume: most files, directories and symlinks.</param>
/// <param name="VolumeSyncIntervalMs">How often the shim polls a copied volume's host directory for kubelet's updates.</param>
/// <param name="LayerCacheMaxMib">The size `katasharp gc` brings the layer cache's images down to (least recently used first); 0 = no cap.</param>
/// <param name="LayerConversionTimeoutSeconds">How long mkfs.erofs may take for one layer before it is killed.</param>
/// <param name="ConfineLayerConversion">Whether mkfs.erofs runs confined (no network, no_new_privs, two capabilities); off only for debugging.</param>
/// <param name="LogLevel">The least severe record the shim log writes (and the agent's level in the guest).</param>
/// <param name="DebugConsole">A root shell in the guest (not in a container) for `katasharp exec`: the agent serves it on the debug-console vsock port.</param>
/// <param name="ConfineVmm">Whether the VMM runs in its own confined process (namespaces, pivot_root into an empty root, its own uid,
/// no capabilities, no_new_privs, rlimits); off only for debugging.</param>
/// <param name="VmmSeccomp">The confined VMM's seccomp filter: kill on a call outside its allowlist, log such calls, or none.</param>
/// <param name="VmmUidBase">The confined VMM runs as uid and gid this plus the shim's pid: unique per running sandbox.</param>
/// <param name="ConsoleLogMaxKib">The cap of the guest console file in the sandbox's state directory (and of its one rotated copy); 0 = no file.</param>
public sealed record RuntimeSettings(string LayerCacheDir, bool Debug, int IoDrainTimeoutSeconds, bool SandboxCgroup = true,
    int VolumeMaxMib = 16, int VolumeMaxEntries = 1024, int VolumeSyncIntervalMs = 1000, int LayerCacheMaxMib = 0,
    int LayerConversionTimeoutSeconds = 600, bool ConfineLayerConversion = true,
    LogSeverity LogLevel = LogSeverity.Info, int ConsoleLogMaxKib = 1024, bool DebugConsole = false,
    bool ConfineVmm = true, VmmSeccompSetting VmmSeccomp = VmmSeccompSetting.Kill, uint VmmUidBase = RuntimeSettings.DefaultVmmUidBase)
{
    /// <summary>The smallest nonzero <see cref="ConsoleLogMaxKib"/>: one escaped console line must fit a file.</summary>
    public const int MinConsoleLogKib = 64;

    /// <summary>Above every uid a distribution hands out (and below 2^32 - 2^22, the most pids plus one base still fit).</summary>
    public const uint DefaultVmmUidBase = 1_000_000_000;

    /// <summary>The level the shim log and the agent run at: <see cref="Debug"/> = true means debug, else <see cref="LogLevel"/>.</summary>
    public LogSeverity EffectiveLogLevel => Debug ? LogSeverity.Debug : LogLevel;
}
