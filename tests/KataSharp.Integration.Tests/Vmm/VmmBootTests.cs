using System.Text.RegularExpressions;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Vmm;

/// <summary>
/// katasharp-vmm boots our guest kernel on the test host's /dev/kvm: to the busybox /init marker
/// with 1, 2 and 4 vCPUs (all of them online), and a kernel that panics makes it fail with the
/// console tail in its message.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed partial class VmmBootTests(TestHostFixture fixture)
{
    /// <summary>L2 boots run at TCG speed: seconds to a minute depending on how busy the machine is.</summary>
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task The_guest_kernel_boots_to_the_init_marker_sees_every_vcpu_and_the_reboot_exits_0(int vcpus)
    {
        string vmm = await VmmArtifacts.KatasharpVmmAsync();
        string kernel = await VmmArtifacts.KernelAsync();
        string release = File.ReadAllText(Path.Combine(kernel, "kernel.release")).Trim();
        string initrd = await VmmArtifacts.MarkerInitrdAsync();

        CommandResult r = await BareVmRun.RunAsync(fixture, $"{vmm} --kernel {kernel}/vmlinux --initrd {initrd} --vcpus {vcpus} --memory 256", BootTimeout);

        Assert.True(r.ExitCode == 0, $"katasharp-vmm exited with {r.ExitCode}:\n{r.Stderr}\n--- console ---\n{r.Stdout}");
        Match marker = Marker().Match(r.Stdout);
        Assert.True(marker.Success, $"no marker in the guest console:\n{r.Stdout}");
        Assert.Equal(release, marker.Groups["release"].Value);
        Assert.Equal(vcpus.ToString(), marker.Groups["nproc"].Value);
        Assert.Contains("reboot: Restarting system", r.Stdout);
    }

    [Fact]
    public async Task A_kernel_panic_exits_non_zero_with_the_console_tail_in_the_message()
    {
        string vmm = await VmmArtifacts.KatasharpVmmAsync();
        string kernel = await VmmArtifacts.KernelAsync();
        // PID 1 exiting makes the kernel panic ("Attempted to kill init!"); panic=-1 then resets.
        string initrd = await VmmArtifacts.InitrdWithInitAsync("#!/bin/sh\necho KATASHARP-INIT-GIVES-UP\nexit 3\n");

        CommandResult r = await BareVmRun.RunAsync(fixture, $"{vmm} --kernel {kernel}/vmlinux --initrd {initrd} --memory 256", BootTimeout);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("the guest kernel panicked: Kernel panic - not syncing: Attempted to kill init!", r.Stderr);
        Assert.Contains("--- last lines of the guest console ---", r.Stderr);
        Assert.Contains("KATASHARP-INIT-GIVES-UP", r.Stderr);
    }

    [GeneratedRegex(@"KATASHARP-GUEST-MARKER release=(?<release>\S+) nproc=(?<nproc>\d+)")]
    private static partial Regex Marker();
}
