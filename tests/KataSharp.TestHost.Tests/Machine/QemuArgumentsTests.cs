using KataSharp.TestHost.Machine;
using Xunit;

namespace KataSharp.TestHost.Tests.Machine;

public sealed class QemuArgumentsTests
{
    [Fact]
    public void DescribesATcgPcWithNestedSvmAndTheSharesTheL1Expects()
    {
        IReadOnlyList<string> a = QemuArguments.Build("/c/vmlinuz", "/c/initramfs.cpio.gz", "/repo/tests/testhost/agent.sh",
            "/cache/runs/1/spool", "/cache/runs/1/console.log", "/cache/runs/1/ctl.sock");
        Assert.Equal("max,+svm,+npt", After(a, "-cpu"));
        Assert.Equal("tcg,thread=multi", After(a, "-accel"));
        Assert.Equal("pc", After(a, "-M"));
        Assert.Contains("-no-reboot", a);
        Assert.Equal("file:/cache/runs/1/console.log", After(a, "-serial"));
        Assert.Contains("local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap", a);
        Assert.Contains("local,path=/cache/runs/1/spool,mount_tag=spool,security_model=none,multidevs=remap", a);
        Assert.Equal("socket,id=ctl,path=/cache/runs/1/ctl.sock", After(a, "-chardev"));
        Assert.Contains("virtserialport,chardev=ctl,name=ksctl", a);
        string cmdline = After(a, "-append");
        Assert.Contains("ksagent=/repo/tests/testhost/agent.sh", cmdline);
        Assert.Contains("ksspool=/cache/runs/1/spool", cmdline);
        Assert.Contains("panic=-1", cmdline);
        Assert.Contains("tsc=reliable clocksource=tsc", cmdline);
    }

    [Fact]
    public void CommasInPathsAreDoubledForQemu()
    {
        IReadOnlyList<string> a = QemuArguments.Build("/k", "/i", "/a.sh", "/x,y/spool", "/x,y/console.log", "/x,y/ctl.sock");
        Assert.Equal("socket,id=ctl,path=/x,,y/ctl.sock", After(a, "-chardev"));
        Assert.Equal("file:/x,,y/console.log", After(a, "-serial"));
    }

    [Fact]
    public void WhitespaceInKernelCommandLinePathsIsRefusedWithTheFix()
    {
        var e = Assert.Throws<TestHostException>(() => QemuArguments.Build("/k", "/i", "/my repo/agent.sh", "/s", "/c", "/t"));
        Assert.Equal(TestHostError.InvalidConfiguration, e.Error);
        Assert.Contains("whitespace", e.Message);
    }

    [Fact]
    public void TheTuningSetsTheCpuCountAndAppendsKernelParametersLast()
    {
        IReadOnlyList<string> a = QemuArguments.Build("/k", "/i", "/a.sh", "/s", "/c", "/t", L1Tuning.Parse("4", " clocksource=hpet "));
        Assert.Equal("4", After(a, "-smp"));
        Assert.EndsWith(" clocksource=hpet", After(a, "-append"));
        Assert.Equal($"{QemuArguments.Cpus}", After(QemuArguments.Build("/k", "/i", "/a.sh", "/s", "/c", "/t"), "-smp"));
    }

    [Theory]
    [InlineData("0", "")]
    [InlineData("17", "")]
    [InlineData("two", "")]
    [InlineData("", "a\nb")]
    public void ATuningThatCannotWorkIsRefusedNamingTheVariable(string cpus, string args)
    {
        var e = Assert.Throws<TestHostException>(() => L1Tuning.Parse(cpus, args.Replace("\\n", "\n")));
        Assert.Equal(TestHostError.InvalidConfiguration, e.Error);
        Assert.Contains(cpus.Length > 0 ? L1Tuning.CpusVariable : L1Tuning.KernelArgsVariable, e.Message);
    }

    [Fact]
    public void TheTuningAppendsTcgOptionsAndOpensAMonitorOnlyWhenAsked()
    {
        IReadOnlyList<string> plain = QemuArguments.Build("/k", "/i", "/a.sh", "/s", "/c", "/t");
        Assert.Equal("tcg,thread=multi", After(plain, "-accel"));
        Assert.Equal("none", After(plain, "-monitor"));

        var tuned = L1Tuning.Default with { ExtraAccelOptions = L1Tuning.ParseAccelOptions(" tb-size=64 "), MonitorSocket = L1Tuning.ParseMonitorSocket("/run/l1.mon") };
        IReadOnlyList<string> a = QemuArguments.Build("/k", "/i", "/a.sh", "/s", "/c", "/t", tuned);
        Assert.Equal("tcg,thread=multi,tb-size=64", After(a, "-accel"));
        Assert.Equal("unix:/run/l1.mon,server,nowait", After(a, "-monitor"));
    }

    [Theory]
    [InlineData("tb-size=64 -device x")]
    [InlineData("tb-size=64;reboot")]
    public void TcgOptionsThatCouldCarryAnotherArgumentAreRefused(string options)
    {
        var e = Assert.Throws<TestHostException>(() => L1Tuning.ParseAccelOptions(options));
        Assert.Contains(L1Tuning.AccelOptionsVariable, e.Message);
    }

    [Theory]
    [InlineData("relative.sock")]
    [InlineData("/a b.sock")]
    public void AMonitorSocketMustBeAnAbsolutePathWithoutWhitespace(string path)
    {
        var e = Assert.Throws<TestHostException>(() => L1Tuning.ParseMonitorSocket(path));
        Assert.Contains(L1Tuning.MonitorVariable, e.Message);
    }

    private static string After(IReadOnlyList<string> args, string option)
    {
        int i = args.ToList().IndexOf(option);
        Assert.True(i >= 0 && i + 1 < args.Count, $"{option} is missing");
        return args[i + 1];
    }
}
