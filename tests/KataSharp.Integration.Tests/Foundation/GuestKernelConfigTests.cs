using Xunit;

namespace KataSharp.Integration.Tests.Foundation;

/// <summary>
/// What the guest kernel must not have, checked on the .config the build left in the cache
/// (<c>$KATASHARP_CACHE/kernel/&lt;key&gt;/config</c>), and build-kernel.sh refusing a cache entry without it.
/// </summary>
public sealed class GuestKernelConfigTests
{
    /// <summary>A loopback vsock transport lets a container connect to the agent (CID 1 or the guest's own
    /// CID); user namespaces are refused by the agent and are the way into most of the kernel for a container.</summary>
    private static readonly string[] Forbidden = ["CONFIG_VSOCKETS_LOOPBACK", "CONFIG_VSOCKETS_DIAG", "CONFIG_USER_NS"];

    [Fact]
    public async Task TheBuiltConfig_HasNoVsockLoopbackNoVsockDiagAndNoUserNamespaces()
    {
        string kernel = await Repository.BuildAsync("guest-image/kernel/build-kernel.sh");
        string[] config = File.ReadAllLines(Path.Combine(kernel, "config"));

        foreach (string symbol in Forbidden)
        {
            Assert.DoesNotContain(config, line => line.StartsWith(symbol + "=", StringComparison.Ordinal));
        }
        Assert.Contains("CONFIG_VIRTIO_VSOCKETS=y", config); // the host transport stays
        Assert.Contains("CONFIG_PID_NS=y", config);
    }

    [Fact]
    public async Task ACachedKernelWithLoopbackVsock_IsRefused()
    {
        string kernel = await Repository.BuildAsync("guest-image/kernel/build-kernel.sh");
        string cache = Path.Combine(Path.GetTempPath(), $"ks-kernel-cache-{Guid.NewGuid():N}");
        try
        {
            // The same cache entry (same key), with a .config that has the loopback transport on.
            string entry = Path.Combine(cache, "kernel", Path.GetFileName(kernel));
            Directory.CreateDirectory(entry);
            File.CreateSymbolicLink(Path.Combine(entry, "vmlinux"), Path.Combine(kernel, "vmlinux"));
            File.Copy(Path.Combine(kernel, "kernel.release"), Path.Combine(entry, "kernel.release"));
            File.WriteAllLines(Path.Combine(entry, "config"),
                File.ReadAllLines(Path.Combine(kernel, "config")).Append("CONFIG_VSOCKETS_LOOPBACK=y"));

            var (code, stdout, stderr) = await Repository.RunScriptAsync("guest-image/kernel/build-kernel.sh",
                new Dictionary<string, string> { ["KATASHARP_CACHE"] = cache });

            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.Contains("# CONFIG_VSOCKETS_LOOPBACK is not set (but the .config has CONFIG_VSOCKETS_LOOPBACK=y)", stderr);
            Assert.DoesNotContain("compiling", stderr);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
