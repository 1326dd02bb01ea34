using System.Text.RegularExpressions;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Foundation;

/// <summary>
/// Our guest kernel (guest-image/kernel, from the cache) boots under QEMU microvm on the test
/// host's /dev/kvm to the marker printed by the busybox test initrd's /init.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed partial class GuestKernelBootTests(TestHostFixture fixture)
{
    /// <summary>TCG-speed L2 boots take 5-60 s depending on how busy the machine is.</summary>
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(10);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task OurKernelBootsUnderQemuMicrovmToTheMarker(int vcpus)
    {
        string kernel = await Repository.BuildAsync("guest-image/kernel/build-kernel.sh");
        string release = File.ReadAllText(Path.Combine(kernel, "kernel.release")).Trim();
        string initrd = await Repository.BuildAsync("guest-image/test-initrd/build-test-initrd.sh",
            "--init", Path.Combine(Repository.Root, "guest-image/test-initrd/marker-init.sh"));

        // reboot=t: QEMU microvm has no i8042, so only a triple fault ends it (with -no-reboot).
        // acpi=off: our kernel has no ACPI and finds its CPUs in the MP table, which QEMU 10's
        // ACPI firmware for microvm no longer writes (there the guest saw 1 of 2 vCPUs); with ACPI
        // off every QEMU version uses qboot, which writes it.
        CommandResult r = (await fixture.RunAsync(
            "echo \"host-release=$(uname -r)\"; "
            + $"qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -cpu host -m 256 -smp {vcpus} -nodefaults -no-user-config "
            + $"-nographic -serial stdio -no-reboot -kernel {kernel}/vmlinux -initrd {initrd} "
            + "-append 'console=ttyS0 reboot=t panic=-1'", BootTimeout)).EnsureSuccess();

        Match marker = Marker().Match(r.Stdout);
        Assert.True(marker.Success, $"no marker in the guest console:\n{r.Stdout}");
        Assert.Equal(release, marker.Groups["release"].Value);
        Assert.EndsWith("-katasharp", release);
        Assert.Equal(vcpus.ToString(), marker.Groups["nproc"].Value);
        string hostRelease = HostRelease().Match(r.Stdout).Groups[1].Value;
        Assert.NotEmpty(hostRelease);
        Assert.NotEqual(hostRelease, release);
    }

    [Fact]
    public async Task TheCachedVmlinuxCarriesAPvhEntryNote()
    {
        string kernel = await Repository.BuildAsync("guest-image/kernel/build-kernel.sh");
        // XEN_ELFNOTE_PHYS32_ENTRY (type 0x12, owner "Xen") is what lets QEMU boot an uncompressed vmlinux.
        CommandResult r = (await fixture.RunAsync($"readelf -n {kernel}/vmlinux", TimeSpan.FromMinutes(2))).EnsureSuccess();
        Assert.Matches(@"Xen\s+0x[0-9a-f]+\s+.*0x00000012", r.Stdout);
    }

    [GeneratedRegex(@"KATASHARP-GUEST-MARKER release=(?<release>\S+) nproc=(?<nproc>\d+)")]
    private static partial Regex Marker();

    [GeneratedRegex(@"host-release=(\S+)")]
    private static partial Regex HostRelease();
}
