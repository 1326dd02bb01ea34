namespace KataSharp.TestHost.Build;

/// <summary>The L1 kernel and initramfs built (or found cached) by tests/testhost/build-l1.sh.</summary>
internal sealed record L1Artifacts(string Kernel, string Initramfs, string KernelRelease)
{
    public static async Task<L1Artifacts> BuildAsync(RepositoryLayout layout, Action<string> log, CancellationToken ct)
    {
        string dir = await ScriptRunner.RunAsync(layout.BuildL1Script, [], log, ct).ConfigureAwait(false);
        var artifacts = new L1Artifacts(
            Path.Combine(dir, "vmlinuz"),
            Path.Combine(dir, "initramfs.cpio.gz"),
            File.ReadAllText(Path.Combine(dir, "kernel.release")).Trim());
        return File.Exists(artifacts.Kernel) && File.Exists(artifacts.Initramfs)
            ? artifacts
            : throw new TestHostException(TestHostError.BuildFailed, $"{layout.BuildL1Script} printed {dir}, which lacks vmlinuz or initramfs.cpio.gz");
    }
}
