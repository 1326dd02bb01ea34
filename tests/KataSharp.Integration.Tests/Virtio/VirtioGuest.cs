using System.Text.RegularExpressions;
using KataSharp.Integration.Tests.Foundation;
using KataSharp.Integration.Tests.Vmm;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Virtio;

/// <summary>
/// What the virtio tests boot: katasharp-vmm, the guest kernel, and a busybox initrd whose /init is a
/// test script, with katasharp-testtool and the three libraries a NativeAOT binary needs (libc, libm,
/// ld-linux) at their host paths so it runs in the guest as on the host.
/// </summary>
internal static class VirtioGuest
{
    public const string GuestTool = "/bin/katasharp-testtool";

    /// <summary>L2 runs at TCG speed and L1 (running the VMM) does too: generous limits.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(20);

    private static readonly string[] NativeLibraries =
    [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/lib64/ld-linux-x86-64.so.2",
    ];

    public static Task<string> VmmAsync() => VmmArtifacts.KatasharpVmmAsync();

    public static async Task<string> VmlinuxAsync() => Path.Combine(await VmmArtifacts.KernelAsync(), "vmlinux");

    public static Task<string> HostToolAsync() => Repository.TestToolAsync();

    /// <summary>An initrd with <paramref name="initScript"/> as /init and the test tool (cached by content).</summary>
    public static async Task<string> InitrdAsync(string initScript)
    {
        string tool = await Repository.TestToolAsync();
        string script = Path.Combine(Path.GetTempPath(), $"katasharp-virtio-init-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(script, initScript);
        try
        {
            var args = new List<string> { "--init", script, "--file", $"{tool}={GuestTool}" };
            foreach (string library in NativeLibraries)
            {
                args.Add("--file");
                args.Add($"{library}={library}");
            }
            return await Repository.BuildAsync("guest-image/test-initrd/build-test-initrd.sh", [.. args]);
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The rest of the first output line starting with <paramref name="prefix"/>; fails showing the
    /// whole run when there is none.</summary>
    public static string Line(CommandResult r, string prefix)
    {
        Match m = Regex.Match(r.Stdout, $@"^{Regex.Escape(prefix)} ?(.*)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"no '{prefix}' line in the output:\n{r.Stdout}\n--- stderr ---\n{r.Stderr}");
        return m.Groups[1].Value.TrimEnd('\r');
    }

    /// <summary>The shell lines that mount what a guest /init needs.</summary>
    public const string GuestPrologue = """
        #!/bin/sh
        export PATH=/bin:/sbin:/usr/bin:/usr/sbin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev 2>/dev/null
        mkdir -p /tmp /mnt
        """;
}
