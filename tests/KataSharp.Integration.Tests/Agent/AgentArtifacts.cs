using KataSharp.Integration.Tests.Foundation;
using KataSharp.Integration.Tests.Vmm;

namespace KataSharp.Integration.Tests.Agent;

/// <summary>
/// What the agent tests run: katasharp-agent, katasharp-agentctl, ks-init and ks-spawn published from
/// this checkout (once per run), the guest initrd built from them, our guest kernel, and a busybox
/// root filesystem as an erofs image (made with Debian's mkfs.erofs, like the shim makes layers).
/// Everything lives at host paths, which the test host's L1 sees at the same paths.
/// </summary>
internal static class AgentArtifacts
{
    /// <summary>L2 runs at nested-TCG speed: generous limits for a whole scenario.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(25);

    private static readonly Lazy<Task> Published = new(PublishAsync);
    private static readonly Lazy<Task<string>> Initrd = new(InitrdAsync);
    private static readonly Lazy<Task<string>> Layer = new(LayerAsync);
    private static readonly Lazy<Task<string>> DebugShellInitrd = new(DebugShellInitrdAsync);

    public static async Task<string> AgentAsync()
    {
        await Published.Value;
        return Path.Combine(Repository.OutBin, "katasharp-agent");
    }

    public static async Task<string> AgentCtlAsync()
    {
        await Published.Value;
        return Path.Combine(Repository.OutBin, "katasharp-agentctl");
    }

    public static async Task<string> SpawnHelperAsync()
    {
        await Published.Value;
        return Path.Combine(Repository.OutBin, "ks-spawn");
    }

    public static Task<string> InitrdPathAsync() => Initrd.Value;

    /// <summary>The initrd with busybox as /bin/sh (KATASHARP_INITRD_DEBUG_SHELL=1), for the debug console's shell.</summary>
    public static Task<string> DebugShellInitrdPathAsync() => DebugShellInitrd.Value;

    /// <summary>The erofs image of a busybox tree (one read-only layer).</summary>
    public static Task<string> BusyboxLayerAsync() => Layer.Value;

    public static async Task<string> VmlinuxAsync() => Path.Combine(await VmmArtifacts.KernelAsync(), "vmlinux");

    public static Task<string> KernelReleaseAsync() => VmmArtifacts.KernelAsync().ContinueWith(t => File.ReadAllText(Path.Combine(t.Result, "kernel.release")).Trim());

    private static async Task PublishAsync()
    {
        var (code, _, stderr) = await Repository.RunScriptAsync("scripts/publish.sh", "katasharp-agent", "katasharp-agentctl", "ks-init", "ks-spawn");
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh (agent) failed:\n{stderr}");
        }
    }

    private static async Task<string> InitrdAsync()
    {
        await Published.Value;
        return await Repository.BuildAsync("guest-image/initrd/build-initrd.sh", "--no-publish");
    }

    private static async Task<string> DebugShellInitrdAsync()
    {
        await Published.Value;
        return await Repository.BuildAsync("guest-image/initrd/build-initrd.sh", new Dictionary<string, string> { ["KATASHARP_INITRD_DEBUG_SHELL"] = "1" }, "--no-publish");
    }

    private static async Task<string> LayerAsync()
    {
        string ctl = await AgentCtlAsync();
        // Not under /tmp: the test host's L1 has a private /tmp; the checkout's out/ is visible there.
        string artifacts = Path.Combine(Repository.Root, "out", "test-artifacts");
        Directory.CreateDirectory(artifacts);
        string dir = Path.Combine(Path.GetTempPath(), $"ks-layer-{Environment.ProcessId}");
        string image = Path.Combine(artifacts, $"busybox-{Environment.ProcessId}.erofs");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(image);
        try
        {
            await RunAsync(ctl, "make-rootfs", Path.Combine(dir, "rootfs"));
            await RunAsync("mkfs.erofs", "--all-root", "-T0", image, Path.Combine(dir, "rootfs"));
            return image;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(info)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}");
        }
    }

    /// <summary>key=value lines of a scenario's output.</summary>
    public static Dictionary<string, string> Values(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimEnd('\r'))
            .Where(l => l.Contains('=') && !l.StartsWith(' '))
            .Select(l => (Key: l[..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..]))
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
}
