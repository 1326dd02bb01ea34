using System.Text.Json.Nodes;
using KataSharp.Agent.Tests.Spec;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>
/// What the kernel does with the filters the agent compiles, from inside a container (ks-spawn installs them):
/// ks-syscall-probe (tests/native) makes the syscalls and prints NAME=ok or NAME=ERRNO. Each profile's effect is
/// checked against the same probe run without a profile, where the calls succeed.
/// </summary>
public sealed class SeccompProfileTests : IDisposable
{
    private const int KilledBySigsys = 128 + 31;

    private readonly EngineHarness _harness = new();

    /// <summary>A layer holding the probe as /bin/ks-syscall-probe, on top of busybox; removed when the test process ends
    /// (the layers stay read-only lowers while containers of other tests may still use them).</summary>
    private static readonly Lazy<string> ProbeLayer = new(() =>
    {
        string layer = Path.Combine(Path.GetTempPath(), $"ks-probe-layer-{Environment.ProcessId}");
        Directory.CreateDirectory(Path.Combine(layer, "bin"));
        File.Copy(Repository.SyscallProbe, Path.Combine(layer, "bin", "ks-syscall-probe"), overwrite: true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(layer, recursive: true);
        return layer;
    });

    private Task<(int ExitCode, string[] Lines, string Stderr)> ProbeAsync(JsonObject? profile, params string[] calls) =>
        ProbeAsync(profile, sysAdmin: false, calls);

    /// <param name="sysAdmin">Give the container CAP_SYS_ADMIN, so that the kernel itself allows unshare of mount and UTS namespaces.</param>
    private async Task<(int ExitCode, string[] Lines, string Stderr)> ProbeAsync(JsonObject? profile, bool sysAdmin, params string[] calls)
    {
        JsonObject spec = OciSpecs.Create(["/bin/ks-syscall-probe", .. calls]);
        if (profile is not null)
        {
            spec["linux"]!["seccomp"] = profile;
        }
        if (sysAdmin)
        {
            foreach (string set in new[] { "bounding", "effective", "permitted" })
            {
                spec["process"]!["capabilities"]![set]!.AsArray().Add((JsonNode?)"CAP_SYS_ADMIN");
            }
        }
        var (code, stdout, stderr) = await _harness.RunAsync($"s{Guid.NewGuid():N}"[..12], spec, EngineHarness.BusyboxWith(ProbeLayer.Value));
        return (code, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), stderr);
    }

    private static JsonObject DenyList(JsonObject rule, params string[] architectures) => new()
    {
        ["defaultAction"] = "SCMP_ACT_ALLOW",
        ["architectures"] = new JsonArray([.. architectures.Select(a => (JsonNode)a)]),
        ["syscalls"] = new JsonArray(rule),
    };

    [Fact]
    public async Task WithoutAProfile_TheProbesCallsSucceed()
    {
        var (code, lines, stderr) = await ProbeAsync(null, "unshare", "unshare-mnt", "unshare-uts", "keyctl", "getpid");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["unshare=ok", "unshare-mnt=ok", "unshare-uts=ok", "keyctl=ok", "getpid=ok"], lines);
    }

    [Theory]
    [InlineData(SeccompProfiles.ContainerdRuntimeDefault)]
    [InlineData(SeccompProfiles.DockerDefault)]
    public async Task UpstreamDefaultProfiles_RefuseUnshareAndKeyctl_AllowGetpid(string name)
    {
        var (code, lines, stderr) = await ProbeAsync(SeccompProfiles.Json(name), "unshare", "keyctl", "getpid");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["unshare=EPERM", "keyctl=EPERM", "getpid=ok"], lines);
    }

    [Fact]
    public async Task ConditionsOnOneArgument_AreORed_InTheKernel()
    {
        const long cloneNewUser = 0x10000000, cloneNewNs = 0x00020000;
        JsonObject profile = DenyList(new JsonObject
        {
            ["names"] = new JsonArray("unshare"), ["action"] = "SCMP_ACT_ERRNO",
            ["args"] = new JsonArray(
                new JsonObject { ["index"] = 0, ["value"] = cloneNewUser, ["op"] = "SCMP_CMP_EQ" },
                new JsonObject { ["index"] = 0, ["value"] = cloneNewNs, ["op"] = "SCMP_CMP_EQ" }),
        }, "SCMP_ARCH_X86_64");
        string[] calls = ["unshare-uts", "unshare-mnt", "unshare"];
        var (freeCode, freeLines, freeStderr) = await ProbeAsync(null, sysAdmin: true, calls);
        Assert.True(freeCode == 0, $"exit {freeCode}: {freeStderr}");
        Assert.Equal(["unshare-uts=ok", "unshare-mnt=ok", "unshare=ok"], freeLines);
        var (code, lines, stderr) = await ProbeAsync(profile, sysAdmin: true, calls);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["unshare-uts=ok", "unshare-mnt=EPERM", "unshare=EPERM"], lines);
    }

    [Fact]
    public async Task ANameLibseccompDoesNotKnow_IsSkipped_AndTheRuleStillDenies()
    {
        JsonObject profile = DenyList(new JsonObject
        {
            ["names"] = new JsonArray("ks_no_such_syscall", "keyctl"), ["action"] = "SCMP_ACT_ERRNO", ["errnoRet"] = 13,
        }, "SCMP_ARCH_X86_64");
        var (code, lines, stderr) = await ProbeAsync(profile, "keyctl", "unshare");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["keyctl=EACCES", "unshare=ok"], lines);
    }

    /// <summary>Without the filter an x32 call is merely ENOSYS (or runs, on a kernel with the x32 ABI); a deny-list
    /// that lists only x86-64 kills the process instead of letting the other numbering through.</summary>
    [Fact]
    public async Task AnX32Call_UnderADenyListForX86_64_KillsTheProcess()
    {
        var (freeCode, freeLines, _) = await ProbeAsync(null, "x32");
        Assert.Equal(0, freeCode);
        Assert.Single(freeLines, l => l.StartsWith("x32=", StringComparison.Ordinal));

        JsonObject profile = DenyList(new JsonObject { ["names"] = new JsonArray("keyctl"), ["action"] = "SCMP_ACT_ERRNO" }, "SCMP_ARCH_X86_64");
        var (code, lines, stderr) = await ProbeAsync(profile, "getpid", "x32", "keyctl");
        Assert.True(code == KilledBySigsys, $"exit {code}: {string.Join(' ', lines)} {stderr}");
        Assert.Equal(["getpid=ok"], lines);
    }

    public void Dispose() => _harness.Dispose();
}
