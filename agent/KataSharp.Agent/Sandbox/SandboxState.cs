using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Sandbox;

/// <summary>The guest's one sandbox: its id (set once by CreateSandbox), the shared-files directory, the pod's shared volumes
/// and guest settings.</summary>
public sealed class SandboxState(GuestSettings settings, SharedFiles files, PodVolumes volumes)
{
    private readonly object _lock = new();

    public string? SandboxId { get; private set; }

    public GuestSettings Settings { get; } = settings;

    public SharedFiles Files { get; } = files;

    public PodVolumes Volumes { get; } = volumes;

    /// <summary>When the gRPC server started serving, in milliseconds since boot.</summary>
    public ulong ReadyAtBootMs { get; set; }

    public void Claim(string sandboxId)
    {
        lock (_lock)
        {
            if (SandboxId is not null && SandboxId != sandboxId)
            {
                throw AgentException.AlreadyExists($"this guest already serves sandbox '{SandboxId}'");
            }
            SandboxId = sandboxId;
        }
    }
}
