using KataSharp.Integration.Tests.Agent;
using KataSharp.Integration.Tests.Foundation;
using KataSharp.Integration.Tests.Vmm;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// What the shim scenario needs on the host side: the shim and the katasharp CLI published from this
/// checkout (once per run), the agent initrd and our guest kernel. L1 sees them at the same paths.
/// </summary>
internal static class ShimArtifacts
{
    /// <summary>Five nested-TCG VM boots plus containerd: generous.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(30);

    private static readonly Lazy<Task> Published = new(PublishAsync);

    /// <summary>The command that runs tests/testhost/shim/e2e.sh in L1 with this checkout's artifacts.</summary>
    public static async Task<string> E2eCommandAsync()
    {
        await Published.Value;
        string kernelDir = await VmmArtifacts.KernelAsync();
        string initrd = await AgentArtifacts.InitrdPathAsync();
        string script = Path.Combine(Repository.Root, "tests", "testhost", "shim", "e2e.sh");
        return $"bash {script} --bin {Repository.OutBin} --kernel-dir {kernelDir} --initrd {initrd}";
    }

    private static async Task PublishAsync()
    {
        var (code, _, stderr) = await Repository.RunScriptAsync("scripts/publish.sh", "containerd-shim-katasharp-v2", "katasharp");
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh (shim) failed:\n{stderr}");
        }
    }
}
