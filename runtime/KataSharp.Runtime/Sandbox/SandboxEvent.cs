namespace KataSharp.Runtime.Sandbox;

/// <summary>What can happen to the sandbox VM; <see cref="SandboxLifecycle"/> says where each leads.</summary>
public enum SandboxEvent
{
    Boot,
    Booted,
    BootFailed,
    Stop,
    VmExited,
}
