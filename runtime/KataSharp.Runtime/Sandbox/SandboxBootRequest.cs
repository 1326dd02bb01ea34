using KataSharp.Runtime.Configuration;

namespace KataSharp.Runtime.Sandbox;

/// <summary>Everything needed to boot a pod's VM.</summary>
/// <param name="StateDirectory">Host directory the backend may use for its sockets and logs; removed with the sandbox.</param>
public sealed record SandboxBootRequest(string SandboxId, RuntimeConfiguration Configuration, string StateDirectory);
