namespace KataSharp.Runtime.Persistence;

/// <summary>
/// What a later `delete` needs to clean up after a shim that died: who served the sandbox
/// (pid + start time, so a recycled pid is not mistaken for it), its socket, its containers, and the
/// pod cgroup it had moved into (left empty by its death). <paramref name="DebugConsole"/>: the VM was booted with
/// [runtime] debug_console, so `katasharp exec` may reach its guest shell.
/// </summary>
public sealed record SandboxRecord(
    string SandboxId,
    string Namespace,
    int ShimPid,
    ulong ShimStartTime,
    string SocketPath,
    IReadOnlyList<ContainerRecord> Containers,
    string? CgroupPath = null,
    bool DebugConsole = false);
