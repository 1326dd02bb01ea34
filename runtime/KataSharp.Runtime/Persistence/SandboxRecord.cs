namespace KataSharp.Runtime.Persistence;

/// <summary>
/// What a later `delete` needs to clean up after a shim that died: who served the sandbox
/// (pid + start time, so a recycled pid is not mistaken for it), its socket, and its containers.
/// </summary>
public sealed record SandboxRecord(
    string SandboxId,
    string Namespace,
    int ShimPid,
    ulong ShimStartTime,
    string SocketPath,
    IReadOnlyList<ContainerRecord> Containers);
