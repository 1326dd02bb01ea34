using Xunit;

namespace KataSharp.Integration.Tests.Foundation;

/// <summary>The guest kernel is built once per input (source package version + config fragment + script).</summary>
public sealed class KernelCacheTests
{
    [Fact]
    public async Task ASecondBuildReusesTheCacheWithoutRebuilding()
    {
        string first = await Repository.BuildAsync("guest-image/kernel/build-kernel.sh");
        string vmlinux = Path.Combine(first, "vmlinux");
        DateTime builtAt = File.GetLastWriteTimeUtc(vmlinux);

        var (code, stdout, stderr) = await Repository.RunScriptAsync("guest-image/kernel/build-kernel.sh");

        Assert.Equal(0, code);
        Assert.Equal(first, stdout.Trim());
        Assert.Contains("no rebuild", stderr);
        Assert.DoesNotContain("compiling", stderr);
        Assert.Equal(builtAt, File.GetLastWriteTimeUtc(vmlinux));
        Assert.True(File.Exists(Path.Combine(first, "build-seconds")), "the cache entry lacks build-seconds (cold build time)");
    }
}
