using KataSharp.Integration.Tests.Foundation;

namespace KataSharp.Integration.Tests.Vmm;

/// <summary>What the VMM tests boot: katasharp-vmm published from this checkout (once per test run,
/// so it is never stale), our guest kernel, and busybox initrds with a given /init.</summary>
internal static class VmmArtifacts
{
    private static readonly Lazy<Task<string>> Binary = new(PublishAsync);

    public static Task<string> KatasharpVmmAsync() => Binary.Value;

    /// <summary>The cached guest kernel directory (vmlinux, kernel.release).</summary>
    public static Task<string> KernelAsync() => Repository.BuildAsync("guest-image/kernel/build-kernel.sh");

    /// <summary>The marker /init: prints KATASHARP-GUEST-MARKER with release and nproc, then reboots.</summary>
    public static Task<string> MarkerInitrdAsync() =>
        Repository.BuildAsync("guest-image/test-initrd/build-test-initrd.sh", "--init", Path.Combine(Repository.Root, "guest-image/test-initrd/marker-init.sh"));

    /// <summary>An initrd whose /init is <paramref name="script"/> (cached by content).</summary>
    public static async Task<string> InitrdWithInitAsync(string script)
    {
        string path = Path.Combine(Path.GetTempPath(), $"katasharp-init-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(script)))[..12]}.sh");
        await File.WriteAllTextAsync(path, script);
        try
        {
            return await Repository.BuildAsync("guest-image/test-initrd/build-test-initrd.sh", "--init", path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<string> PublishAsync()
    {
        var (code, _, stderr) = await Repository.RunScriptAsync("scripts/publish.sh", "katasharp-vmm");
        return code == 0
            ? Path.Combine(Repository.OutBin, "katasharp-vmm")
            : throw new InvalidOperationException($"scripts/publish.sh katasharp-vmm failed:\n{stderr}");
    }
}
