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
    /// <summary>About 27 nested-TCG VM boots (20 of them the leak cycles) plus containerd: generous.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(50);

    private static readonly Lazy<Task> Published = new(PublishAsync);

    /// <summary>cri.sh: one pod (one nested-TCG VM boot) plus containerd with its CRI plugin: generous.</summary>
    public static readonly TimeSpan CriRunTimeout = TimeSpan.FromMinutes(20);

    private static readonly Lazy<Task> ProbePublished = new(PublishProbeAsync);

    /// <summary>reliability.sh: a panicking guest, a 200,000-line stream, 4 pods booting at once.</summary>
    public static readonly TimeSpan ReliabilityRunTimeout = TimeSpan.FromMinutes(30);

    /// <summary>escape.sh: one pod (one VM boot) and a few dozen runc and katasharp containers.</summary>
    public static readonly TimeSpan EscapeRunTimeout = TimeSpan.FromMinutes(30);

    private static readonly Lazy<Task> TestToolPublished = new(() => PublishOrThrowAsync("katasharp-testtool"));

    /// <summary>The command that runs tests/testhost/shim/e2e.sh in L1 with this checkout's artifacts.</summary>
    /// <summary>e2e.sh also boots its long-running pod from the debug-shell initrd with [runtime] debug_console on (katasharp exec).</summary>
    public static async Task<string> E2eCommandAsync() =>
        await ScenarioCommandAsync("e2e.sh") + $" --debug-initrd {await AgentArtifacts.DebugShellInitrdPathAsync()}";

    /// <summary>The command that runs tests/testhost/shim/cri.sh (the CRI path) in L1 with this checkout's artifacts.</summary>
    public static async Task<string> CriCommandAsync()
    {
        await ProbePublished.Value;
        return await ScenarioCommandAsync("cri.sh");
    }

    /// <summary>The command that runs tests/testhost/shim/escape.sh (the escape matrix) in L1 with this checkout's artifacts.</summary>
    public static async Task<string> EscapeCommandAsync()
    {
        await TestToolPublished.Value;
        return await ScenarioCommandAsync("escape.sh");
    }

    /// <summary>The command that runs tests/testhost/shim/reliability.sh in L1 with this checkout's artifacts.</summary>
    public static Task<string> ReliabilityCommandAsync() => ScenarioCommandAsync("reliability.sh");

    private static async Task<string> ScenarioCommandAsync(string scriptName)
    {
        await Published.Value;
        string kernelDir = await VmmArtifacts.KernelAsync();
        string initrd = await AgentArtifacts.InitrdPathAsync();
        string script = Path.Combine(Repository.Root, "tests", "testhost", "shim", scriptName);
        return $"bash {script} --bin {Repository.OutBin} --kernel-dir {kernelDir} --initrd {initrd}";
    }

    /// <summary>The CRI client, and ks-syscall-probe that cri.sh mounts into the RuntimeDefault container.</summary>
    private static Task PublishProbeAsync() => PublishOrThrowAsync("katasharp-criprobe", "ks-syscall-probe");

    private static Task PublishAsync() => PublishOrThrowAsync("containerd-shim-katasharp-v2", "katasharp");

    private static async Task PublishOrThrowAsync(params string[] components)
    {
        var (code, _, stderr) = await Repository.RunScriptAsync("scripts/publish.sh", components);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh ({string.Join(' ', components)}) failed:\n{stderr}");
        }
    }
}
