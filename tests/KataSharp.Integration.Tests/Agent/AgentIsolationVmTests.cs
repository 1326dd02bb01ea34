using KataSharp.Integration.Tests.Foundation;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Agent;

/// <summary>
/// Issue 10 in a real guest: a process in a container cannot reach the agent's API over vsock (no
/// loopback transport; the agent admits only CID 2), cannot write the guest root (read-only), and the
/// agent keeps serving the host. The probe is tests/.../Probes/vsock-probe.c, built static here and
/// copied into the guest with CopyFile.
/// </summary>
[Collection(TestHostCollection.Name)]
public sealed class AgentIsolationVmTests(TestHostFixture fixture)
{
    private static readonly SharedRun Run = new();

    private Task<Dictionary<string, string>> RunAsync() =>
        Run.ValuesAsync(async () => await BareVmRun.RunAsync(fixture, await AgentVmTests.ScriptAsync($"isolation-check {await ProbeAsync()}"), AgentArtifacts.RunTimeout));

    private static async Task<string> ProbeAsync()
    {
        string source = Path.Combine(Repository.Root, "tests", "KataSharp.Integration.Tests", "Agent", "Probes", "vsock-probe.c");
        string probe = Path.Combine(Repository.OutBin, "ks-vsock-probe");
        Directory.CreateDirectory(Repository.OutBin);
        var gcc = new System.Diagnostics.ProcessStartInfo("gcc") { RedirectStandardError = true };
        foreach (string arg in new[] { "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", probe, source })
        {
            gcc.ArgumentList.Add(arg);
        }
        using var p = System.Diagnostics.Process.Start(gcc)!;
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode == 0 ? probe : throw new InvalidOperationException($"gcc {source} failed:\n{stderr}");
    }

    [Theory]
    [InlineData("1")] // VMADDR_CID_LOCAL: the loopback transport
    [InlineData("2")] // the host: the VMM, not the agent
    [InlineData("3")] // the guest's own CID
    public async Task AContainerCannotReachTheAgentsApiOverVsock(string cid)
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("0", v["vsock_probe_exit"]);
        Assert.True(v.ContainsKey($"vsock_cid{cid}"), $"the probe said nothing about CID {cid}");
        Assert.NotEqual("settings", v[$"vsock_cid{cid}"]);
    }

    [Fact]
    public async Task TheGuestRootIsReadOnly_EvenThroughABindOfSlash()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("0", v["guest_root_exit"]);
        Assert.Equal("refused", v["guest_root_usr_bin_ks_spawn"]);
        Assert.Equal("refused", v["guest_root_new_file"]);
    }

    [Fact]
    public async Task TheAgentStillServesTheHost_AndContainersStillStart()
    {
        Dictionary<string, string> v = await RunAsync();
        Assert.Equal("1", v["agent_serves_host_after"]);
        Assert.Equal("0", v["vsock_probe_exit"]);
        Assert.Equal("1", v["agent_ready"]);
    }
}
