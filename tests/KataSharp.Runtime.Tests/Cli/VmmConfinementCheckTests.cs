using KataSharp.Cli.Commands;
using KataSharp.Runtime.Configuration;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

/// <summary>`katasharp check`'s "vmm confinement" line: what is in effect, and a failure when it is off.</summary>
public sealed class VmmConfinementCheckTests
{
    private static readonly RuntimeSettings Defaults = new("/var/lib/katasharp/layers", Debug: false, IoDrainTimeoutSeconds: 5);

    [Fact]
    public void The_default_is_a_confined_vmm_with_its_seccomp_filter_killing()
    {
        var (ok, detail) = CheckCommand.VmmConfinement(Defaults);
        Assert.True(ok, detail);
        Assert.Contains("mount, PID, network, IPC and UTS namespaces", detail);
        Assert.Contains("no capabilities, no_new_privs", detail);
        Assert.Contains("uid and gid 1000000000 + the shim's pid", detail);
        Assert.Contains("a call outside it kills the VMM", detail);
    }

    [Fact]
    public void Debugging_settings_say_what_is_off()
    {
        Assert.Contains("log mode", CheckCommand.VmmConfinement(Defaults with { VmmSeccomp = VmmSeccompSetting.Log }).Detail);
        Assert.Contains("no seccomp filter", CheckCommand.VmmConfinement(Defaults with { VmmSeccomp = VmmSeccompSetting.Off }).Detail);
        var (ok, detail) = CheckCommand.VmmConfinement(Defaults with { ConfineVmm = false });
        Assert.False(ok);
        Assert.Contains("NOT confined ([runtime] confine_vmm = false", detail);
    }
}
