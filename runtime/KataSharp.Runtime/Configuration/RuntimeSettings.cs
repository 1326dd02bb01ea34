namespace KataSharp.Runtime.Configuration;

/// <summary>[runtime]: host-side behaviour of the shim.</summary>
/// <param name="SandboxCgroup">Whether the shim (VMM threads and guest RAM) moves into the pod's cgroup.</param>
/// <param name="VolumeMaxMib">Per copied kubelet volume (configmap, secret, projected, downward API): most MiB of files.</param>
/// <param name="VolumeMaxEntries">Per copied volume: most files, directories and symlinks.</param>
/// <param name="VolumeSyncIntervalMs">How often the shim polls a copied volume's host directory for kubelet's updates.</param>
/// <param name="LayerCacheMaxMib">The size `katasharp gc` brings the layer cache's images down to (least recently used first); 0 = no cap.</param>
/// <param name="LayerConversionTimeoutSeconds">How long mkfs.erofs may take for one layer before it is killed.</param>
/// <param name="ConfineLayerConversion">Whether mkfs.erofs runs confined (no network, no_new_privs, two capabilities); off only for debugging.</param>
public sealed record RuntimeSettings(string LayerCacheDir, bool Debug, int IoDrainTimeoutSeconds, bool SandboxCgroup = true,
    int VolumeMaxMib = 16, int VolumeMaxEntries = 1024, int VolumeSyncIntervalMs = 1000, int LayerCacheMaxMib = 0,
    int LayerConversionTimeoutSeconds = 600, bool ConfineLayerConversion = true);
