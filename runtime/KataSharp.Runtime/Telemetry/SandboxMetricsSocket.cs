using KataSharp.Runtime.Model;
using KataSharp.Runtime.Persistence;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// Where a sandbox's shim serves its metrics: `&lt;state dir&gt;/metrics.sock` (as Kata's shim-monitor socket), the state
/// directory being the one <see cref="SandboxStateStore"/> keeps for the sandbox. The one place the CLI resolves it.
/// </summary>
public static class SandboxMetricsSocket
{
    public const string FileName = "metrics.sock";

    /// <summary>The socket of <paramref name="sandboxId"/> (a valid containerd id, else InvalidArgument).</summary>
    public static string For(SandboxStateStore store, string sandboxId) => Path.Combine(store.DirectoryOf(sandboxId), FileName);

    /// <summary>Every sandbox with a metrics socket, by id, in id order: the running shims (a stale socket of a crashed
    /// one does not answer, and the monitor skips it).</summary>
    public static IReadOnlyList<(string SandboxId, string Socket)> All(SandboxStateStore store)
    {
        if (!Directory.Exists(store.Root))
        {
            return [];
        }
        return [.. Directory.EnumerateDirectories(store.Root)
            .Select(directory => (SandboxId: Path.GetFileName(directory), Socket: Path.Combine(directory, FileName)))
            .Where(s => ContainerdIdentifier.IsValid(s.SandboxId) && File.Exists(s.Socket))
            .OrderBy(s => s.SandboxId, StringComparer.Ordinal)];
    }
}
