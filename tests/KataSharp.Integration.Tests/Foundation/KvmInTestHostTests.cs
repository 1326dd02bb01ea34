using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Foundation;

/// <summary>The test host gives tests what this machine lacks: a /dev/kvm with hardware-virtualization semantics.</summary>
[Collection(TestHostCollection.Name)]
public sealed class KvmInTestHostTests(TestHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly NestedTestHost host = fixture.Host;

    [Fact]
    public void TheModeFollowsThisMachinesHardware()
    {
        bool hardware = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal)
            && (l.Split(' ').Contains("vmx") || l.Split(' ').Contains("svm")))
            && !Directory.Exists("/sys/module/kvm_pvm");
        Assert.Equal(hardware ? TestHostMode.Direct : TestHostMode.Nested, host.Mode);
    }

    [Fact]
    public async Task CpuInfoShowsHardwareVirtualization()
    {
        CommandResult r = (await host.RunAsync("grep -ow -m1 -e svm -e vmx /proc/cpuinfo", Timeout)).EnsureSuccess();
        string flag = r.Stdout.Trim();
        if (host.Mode == TestHostMode.Nested)
        {
            Assert.Equal("svm", flag);
        }
        else
        {
            Assert.Contains(flag, new[] { "svm", "vmx" });
        }
    }

    [Fact]
    public async Task AHardwareKvmModuleIsLoaded()
    {
        CommandResult r = (await host.RunAsync("cut -d' ' -f1 /proc/modules", Timeout)).EnsureSuccess();
        string[] modules = r.Stdout.Split('\n');
        if (host.Mode == TestHostMode.Nested)
        {
            Assert.Contains("kvm_amd", modules);
        }
        else
        {
            Assert.True(modules.Contains("kvm_amd") || modules.Contains("kvm_intel"), r.Stdout);
        }
        Assert.DoesNotContain("kvm_pvm", modules);
    }

    [Fact]
    public async Task DevKvmAnswersApiVersion12()
    {
        string tool = await Repository.TestToolAsync();
        CommandResult r = (await host.RunAsync($"{tool} kvm-api-version", Timeout)).EnsureSuccess();
        Assert.Equal("12", r.Stdout.Trim());
    }

    /// <summary>
    /// Nested: L1 holds one idle VM with a vCPU (ks-kvm-keeper, tests/testhost/kvm-keeper.c), so the
    /// tests' VMs never flip KVM's apic_sw_disabled static key, whose text patching has hung L1
    /// under TCG. Direct: the machine's own KVM is left alone, so no keeper runs.
    /// </summary>
    [Fact]
    public async Task TheNestedHostHoldsOneIdleVm_AndTheDirectHostNone()
    {
        CommandResult r = (await host.RunAsync(
            "for p in $(pgrep -x ks-kvm-keeper); do ls -l /proc/$p/fd; done | grep -o 'kvm-vm\\|kvm-vcpu:[0-9]*' | sort | tr '\\n' ' '",
            Timeout)).EnsureSuccess();
        Assert.Equal(host.Mode == TestHostMode.Nested ? "kvm-vcpu:0 kvm-vm" : "", r.Stdout.Trim());
    }
}
