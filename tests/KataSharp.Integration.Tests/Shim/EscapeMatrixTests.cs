using KataSharp.TestHost;
using Xunit;
using Xunit.Abstractions;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// The escape matrix (tests/testhost/shim/escape.sh) in the nested test host with real containerd: every
/// attempt first under runc, whose result proves the probe can see or change the host, then under
/// katasharp, where it must stay inside the VM. A fact per row; the whole table is in the output.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class EscapeMatrixTests(TestHostFixture fixture, ITestOutputHelper output)
{
    private static readonly SharedRun Run = new();

    /// <summary>Rows where the runc in use carries the CVE's fix: no positive control is possible.</summary>
    private static readonly HashSet<string> PatchedInRunc = ["leaked-fd-cwd", "exe-overwrite"];

    /// <summary>Rows about surfaces runc does not have (a guest agent, guest disks, a guest log channel).</summary>
    private static readonly HashSet<string> KatasharpOnly = ["guest-disks", "agent-api", "log-flood"];

    private Task<ShimScenario> RunAsync() =>
        ShimScenario.RunAsync(Run, fixture, ShimArtifacts.EscapeCommandAsync, ShimArtifacts.EscapeRunTimeout);

    [Theory]
    [InlineData("identity")]
    [InlineData("host-pids")]
    [InlineData("host-disk")]
    [InlineData("guest-disks")]
    [InlineData("proc-sys")]
    [InlineData("sysrq")]
    [InlineData("dev-kvm")]
    [InlineData("module-load")]
    [InlineData("release-agent")]
    [InlineData("leaked-fd-cwd")]
    [InlineData("host-netns")]
    [InlineData("mount-propagation")]
    [InlineData("exe-overwrite")]
    [InlineData("agent-api")]
    [InlineData("log-flood")]
    public async Task Row_escapes_under_runc_and_is_contained_by_katasharp(string row)
    {
        ShimScenario s = await RunAsync();
        string key = $"row_{row.Replace('-', '_')}";
        output.WriteLine($"runc:      {s[$"{key}_runc"]} — {s[$"{key}_runc_evidence"]}");
        output.WriteLine($"katasharp: {s[$"{key}_katasharp"]} — {s[$"{key}_katasharp_evidence"]}");
        string[] controls = KatasharpOnly.Contains(row) ? ["n/a"] : PatchedInRunc.Contains(row) ? ["escaped", "host-view", "patched"] : ["escaped", "host-view"];
        Assert.True(controls.Contains(s[$"{key}_runc"]),
            $"the runc control of {row} was '{s[$"{key}_runc"]}' ({s[$"{key}_runc_evidence"]}): the probe did not reach the host, so the row proves nothing\n{s.Log}");
        s.Equal("contained", $"{key}_katasharp");
    }

    [Fact]
    public async Task The_host_and_the_pod_survive_the_whole_matrix()
    {
        ShimScenario s = await RunAsync();
        s.Equal("1", "pod_running");
        s.Equal("1", "host_boot_id_unchanged");
        s.Equal("1", "host_bins_unchanged");
        s.Equal("1", "pod_still_running");
        s.NoUnexpectedVmExits(output);
    }
}
