namespace KataSharp.Runtime.Volumes;

/// <summary>What a bind of a host directory becomes in the guest (<see cref="HostDirectoryClassifier"/>).</summary>
public enum HostDirectoryUse
{
    /// <summary>kubelet's configmap, secret, projected and downward-API volumes: the tree is copied in and kept in sync.</summary>
    CopiedVolume,
    /// <summary>kubelet's emptyDir: one guest directory per name, shared by the pod's containers.</summary>
    EmptyDir,
    /// <summary>The pod's /dev/shm directory CRI hands every container: one guest tmpfs per pod.</summary>
    PodShm,
    /// <summary>The host's own /dev/shm (host IPC): a fresh tmpfs per container, as the guest cannot share the host's.</summary>
    HostShm,
}
