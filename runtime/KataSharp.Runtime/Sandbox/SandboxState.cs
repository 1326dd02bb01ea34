namespace KataSharp.Runtime.Sandbox;

/// <summary>The pod's VM as the shim sees it.</summary>
public enum SandboxState
{
    /// <summary>No VM yet: the first Create boots it.</summary>
    NotBooted,
    Booting,
    Running,
    Stopping,

    /// <summary>The VM is gone (stopped by us or died); every process in it is reported exited.</summary>
    Stopped,
}
