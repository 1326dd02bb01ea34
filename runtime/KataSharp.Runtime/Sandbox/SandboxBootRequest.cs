using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Telemetry;

namespace KataSharp.Runtime.Sandbox;

/// <summary>Everything needed to boot a pod's VM.</summary>
/// <param name="StateDirectory">Host directory the backend may use for its sockets and logs; removed with the sandbox.</param>
/// <param name="NetworkNamespacePath">The pod's network namespace (a CNI netns path) whose interfaces the VM gets
/// (<see cref="Network.PodNetwork"/>); null for none: the guest has loopback only.</param>
/// <param name="Timeline">Where the boot's phases are recorded (VM created, guest boot, agent ready); null records none.</param>
public sealed record SandboxBootRequest(string SandboxId, RuntimeConfiguration Configuration, string StateDirectory, string? NetworkNamespacePath = null,
    StartTimeline? Timeline = null);
