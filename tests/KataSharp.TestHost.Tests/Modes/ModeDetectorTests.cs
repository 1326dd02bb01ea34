using KataSharp.TestHost.Modes;
using Xunit;

namespace KataSharp.TestHost.Tests.Modes;

public sealed class ModeDetectorTests
{
    private const string PvmCpu = "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\n\nprocessor\t: 1\nflags\t\t: fpu vme hypervisor\n";
    private const string AmdCpu = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu vme svm npt lahf_lm\n";
    private const string IntelCpu = "processor\t: 0\nflags\t\t: fpu vmx ept vpid\n";

    [Fact]
    public void NoVirtualizationFlagMeansNested()
    {
        ModeDecision d = ModeDetector.Decide(Facts(PvmCpu, true, "kvm", "kvm_pvm"));
        Assert.Equal(TestHostMode.Nested, d.Mode);
        Assert.Contains("no vmx/svm", d.Reason);
    }

    [Fact]
    public void PvmBackedKvmMeansNestedEvenWithTheFlag()
    {
        ModeDecision d = ModeDetector.Decide(Facts(IntelCpu, true, "kvm", "kvm_pvm"));
        Assert.Equal(TestHostMode.Nested, d.Mode);
        Assert.Contains("PVM", d.Reason);
    }

    [Fact]
    public void HardwareKvmMeansDirect()
    {
        Assert.Equal(TestHostMode.Direct, ModeDetector.Decide(Facts(IntelCpu, true, "kvm", "kvm_intel")).Mode);
        ModeDecision amd = ModeDetector.Decide(Facts(AmdCpu, true, "kvm", "kvm_amd"));
        Assert.Equal(TestHostMode.Direct, amd.Mode);
        Assert.Contains("kvm_amd", amd.Reason);
    }

    [Fact]
    public void FlagWithoutDeviceOrModuleMeansNested()
    {
        Assert.Contains("/dev/kvm does not exist", ModeDetector.Decide(Facts(AmdCpu, false, "kvm_amd")).Reason);
        ModeDecision noModule = ModeDetector.Decide(Facts(IntelCpu, true, "kvm"));
        Assert.Equal(TestHostMode.Nested, noModule.Mode);
        Assert.Contains("kvm_intel is not loaded", noModule.Reason);
    }

    [Theory]
    [InlineData("nested", TestHostMode.Nested)]
    [InlineData(" Direct ", TestHostMode.Direct)]
    public void OverrideWins(string value, TestHostMode expected)
    {
        ModeDecision d = ModeDetector.Decide(Facts(PvmCpu, true, "kvm_pvm") with { ModeOverride = value });
        Assert.Equal(expected, d.Mode);
        Assert.Contains(MachineFacts.OverrideVariable, d.Reason);
    }

    [Fact]
    public void UnknownOverrideIsAnErrorThatNamesTheFix()
    {
        var e = Assert.Throws<TestHostException>(() => ModeDetector.Decide(Facts(PvmCpu, true) with { ModeOverride = "fast" }));
        Assert.Equal(TestHostError.InvalidConfiguration, e.Error);
        Assert.Contains("'nested', 'direct'", e.Message);
    }

    [Fact]
    public void ThisMachineIsJudgedByItsOwnFacts()
    {
        MachineFacts facts = MachineFacts.FromThisMachine() with { ModeOverride = null };
        bool hardware = ModeDetector.HardwareVirtualizationFlag(facts.CpuInfo) is not null
            && facts.HasKvmDevice && !facts.LoadedModules.Contains("kvm_pvm")
            && (facts.LoadedModules.Contains("kvm_intel") || facts.LoadedModules.Contains("kvm_amd"));
        Assert.Equal(hardware ? TestHostMode.Direct : TestHostMode.Nested, ModeDetector.Decide(facts).Mode);
        Assert.NotEmpty(facts.CpuInfo);
    }

    private static MachineFacts Facts(string cpuInfo, bool kvm, params string[] modules) =>
        new(cpuInfo, kvm, modules.ToHashSet(), null);
}
