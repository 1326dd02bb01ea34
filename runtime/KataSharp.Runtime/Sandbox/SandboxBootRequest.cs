using KataSharp.Runtime.Configuration;

namespace KataSharp.Runtime.Sandbox;

/// <summary>Everything needed to boot a pod's VM.</summary>
/// <param name="StateDirectory">Host directory the backend may use for its sockets and logs; removed with the sandbox.</param>
/// <param name="NetworkNamespacePath">The pod's network namespace (a CNI netns path) whose interfaces the VM gets
/// (<see cref="Network.PodNetwork"/>); null for none: the guest has loopback only.</param>
public sealed record SandboxBootRequest(string SandboxId, RuntimeConfiguration Configuration, string StateDirectory, string? NetworkNamespacePath = null);
