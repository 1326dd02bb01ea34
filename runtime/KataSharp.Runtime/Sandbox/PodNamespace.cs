namespace KataSharp.Runtime.Sandbox;

/// <summary>A namespace the containers of a pod share in the guest, made by its sandbox (pause) container (CRI's NamespaceMode POD).</summary>
public enum PodNamespace
{
    Ipc,
    Uts,
    /// <summary>Only with shareProcessNamespace: true; otherwise each container has its own.</summary>
    Pid,
}
