using System.Text;
using System.Text.Json.Nodes;
using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>
/// A pod's app container joining the sandbox (pause) container's ipc, uts and pid namespaces by container id
/// (CreateContainerRequest.join_namespaces), against real processes: what is shared, the pod sysctls it sees, and
/// what the engine refuses to join.
/// </summary>
public sealed class PodNamespacesTests : IDisposable
{
    private const string Sandbox = "pod-sandbox";
    private readonly EngineHarness _harness = new();
    private ContainerEngine Engine => _harness.Engine;

    private static readonly NamespaceJoinRequest IpcAndUts = new(Sandbox, NamespaceSet.Ipc | NamespaceSet.Uts);

    /// <summary>The sandbox container: its own namespaces (runc-like spec), hostname pod-host, a POSIX message queue
    /// made in its ipc namespace; started, and running once it printed "ready".</summary>
    private async Task<int> StartSandboxAsync(Action<JsonObject>? edit = null)
    {
        JsonObject spec = OciSpecs.Create("sh", "-c", "touch /dev/mqueue/pod-queue; echo ready; exec sleep 1000");
        spec["hostname"] = "pod-host";
        edit?.Invoke(spec);
        int pid = await _harness.CreateAsync(Sandbox, spec, new StdioRequest(false, true, false));
        await Engine.StartAsync(Sandbox, Deadline.Token(30));
        await WaitForOutputAsync(Engine.GetProcess(Sandbox, "").Stdio.Stdout, "ready");
        // "ready" comes before the exec: wait until the sandbox's pid 1 is sleep itself, which the facts read
        // through /proc/1 (a loaded machine once showed them the shell there).
        await WaitForCommandLineAsync(pid, "sleep\01000\0");
        return pid;
    }

    private static async Task WaitForCommandLineAsync(int pid, string expected)
    {
        using CancellationTokenSource deadline = new(TimeSpan.FromSeconds(30));
        string seen = "";
        while (!deadline.IsCancellationRequested)
        {
            seen = File.ReadAllText($"/proc/{pid}/cmdline");
            if (seen == expected)
            {
                return;
            }
            await Task.Delay(10, CancellationToken.None);
        }
        throw new TimeoutException($"process {pid} did not become '{expected.Replace('\0', ' ').Trim()}' within 30 s (it is '{seen.Replace('\0', ' ').Trim()}')");
    }

    /// <summary>An app container's spec as CRI writes it: the same namespace types, no hostname.</summary>
    private static JsonObject AppSpec(string script)
    {
        JsonObject spec = OciSpecs.Create("sh", "-c", script);
        spec.Remove("hostname");
        return spec;
    }

    [Fact]
    public async Task AppContainer_JoinsTheSandboxsIpcAndUts_SharingHostnameAndMessageQueues()
    {
        int sandboxPid = await StartSandboxAsync();
        var (code, stdout, stderr) = await _harness.RunAsync("app", AppSpec("for ns in ipc uts pid; do readlink /proc/self/ns/$ns; done; hostname; ls /dev/mqueue"),
            join: IpcAndUts);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Namespace(sandboxPid, "ipc"), lines[0]);
        Assert.Equal(Namespace(sandboxPid, "uts"), lines[1]);
        Assert.NotEqual(Namespace(sandboxPid, "pid"), lines[2]); // not asked for: its own
        Assert.Equal("pod-host", lines[3]);
        Assert.Equal("pod-queue", lines[4]);
    }

    [Fact]
    public async Task ContainerWithoutJoin_KeepsItsOwnIpcAndUts()
    {
        int sandboxPid = await StartSandboxAsync();
        var (code, stdout, stderr) = await _harness.RunAsync("alone", OciSpecs.Create("sh", "-c", "readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; ls /dev/mqueue | wc -l"));
        Assert.True(code == 0, $"exit {code}: {stderr}");
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual(Namespace(sandboxPid, "ipc"), lines[0]);
        Assert.NotEqual(Namespace(sandboxPid, "uts"), lines[1]);
        Assert.Equal("0", lines[2]);
    }

    [Fact]
    public async Task SysctlsOfTheSandbox_AreSeenByTheContainerJoiningItsIpcNamespace()
    {
        await StartSandboxAsync(spec => spec["linux"]!["sysctl"] = new JsonObject { ["kernel.msgmax"] = "12345", ["kernel.shm_rmid_forced"] = "1" });
        var (code, stdout, stderr) = await _harness.RunAsync("app", AppSpec("cat /proc/sys/kernel/msgmax /proc/sys/kernel/shm_rmid_forced"), join: IpcAndUts);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Equal(["12345", "1"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task SharedPidNamespace_ShowsThePodsProcessesAndNothingElse()
    {
        int sandboxPid = await StartSandboxAsync();
        var (code, stdout, stderr) = await _harness.RunAsync("app",
            AppSpec("readlink /proc/self/ns/pid; echo $$; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -cE '^[0-9]+$'"),
            join: new NamespaceJoinRequest(Sandbox, NamespaceSet.Ipc | NamespaceSet.Uts | NamespaceSet.Pid));
        Assert.True(code == 0, $"exit {code}: {stderr}");
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Namespace(sandboxPid, "pid"), lines[0]);
        Assert.NotEqual("1", lines[1]); // pid 1 is the sandbox's init...
        Assert.Equal("sleep 1000", lines[2].Trim());
        // ...and the pod's processes are all there is: the sandbox's sleep, this shell and its pipeline (ls, grep).
        Assert.True(int.Parse(lines[3]) <= 4, $"the pod's pid namespace shows only the pod's processes, saw {lines[3]}");
    }

    [Fact]
    public async Task JoiningTheUtsNamespace_RefusesAHostnameOfItsOwn()
    {
        await StartSandboxAsync();
        JsonObject spec = AppSpec("true");
        spec["hostname"] = "other";
        var e = await Assert.ThrowsAsync<AgentException>(() => _harness.CreateAsync("app", spec, join: IpcAndUts));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal("hostname", e.Field);
        Assert.Equal("pod-host", await ExecHostnameAsync());
    }

    [Fact]
    public async Task UnknownContainer_IsRefusedNamingIt()
    {
        await StartSandboxAsync();
        var e = await Assert.ThrowsAsync<AgentException>(() => _harness.CreateAsync("app", AppSpec("true"), join: new NamespaceJoinRequest("other-pod", NamespaceSet.Ipc)));
        Assert.Equal(AgentErrorCode.NotFound, e.Code);
        Assert.Contains("'other-pod'", e.Message);
        Assert.DoesNotContain(Engine.List(), c => c.Id == "app");
    }

    [Fact]
    public async Task ASandboxThatIsNotRunning_IsRefusedNamingIt()
    {
        await _harness.CreateAsync(Sandbox, OciSpecs.Create("sleep", "1000"), StdioRequest.None);
        var e = await Assert.ThrowsAsync<AgentException>(() => _harness.CreateAsync("app", AppSpec("true"), join: IpcAndUts));
        Assert.Equal(AgentErrorCode.FailedPrecondition, e.Code);
        Assert.Contains($"'{Sandbox}' is Created", e.Message);
    }

    /// <summary>A container without its own ipc namespace runs in the guest's (the agent's): that is never shared.</summary>
    [Fact]
    public async Task ANamespaceTheOwnerDidNotMake_IsNotJoined()
    {
        await StartSandboxAsync(spec =>
        {
            spec["linux"]!["namespaces"] = new JsonArray(new JsonObject { ["type"] = "pid" }, new JsonObject { ["type"] = "uts" }, new JsonObject { ["type"] = "mount" });
            JsonArray mounts = spec["mounts"]!.AsArray();
            mounts.Remove(mounts.Single(m => (string?)m!["type"] == "mqueue")); // an mqueue mount needs an ipc namespace of its own
        });
        var e = await Assert.ThrowsAsync<AgentException>(() => _harness.CreateAsync("app", AppSpec("true"), join: IpcAndUts));
        Assert.Equal(AgentErrorCode.FailedPrecondition, e.Code);
        Assert.Contains("no Ipc namespace of its own", e.Message);
    }

    [Fact]
    public async Task JoiningATypeTheSpecDoesNotList_IsRefused()
    {
        await StartSandboxAsync();
        JsonObject spec = AppSpec("true");
        spec["linux"]!["namespaces"] = new JsonArray(new JsonObject { ["type"] = "ipc" }, new JsonObject { ["type"] = "mount" });
        var e = await Assert.ThrowsAsync<AgentException>(() => _harness.CreateAsync("app", spec, join: IpcAndUts));
        Assert.Equal(AgentErrorCode.InvalidArgument, e.Code);
        Assert.Equal("join_namespaces.namespace_types", e.Field);
    }

    [Fact]
    public async Task ExecInTheJoiningContainer_IsInThePodsNamespacesToo()
    {
        int sandboxPid = await StartSandboxAsync();
        await _harness.CreateAsync("app", AppSpec("exec sleep 1000"), StdioRequest.None, join: IpcAndUts);
        await Engine.StartAsync("app", Deadline.Token(30));
        int execPid = await Engine.ExecAsync("app", "e1", OciSpecs.Bytes(OciSpecs.Process("sleep", "1000")), StdioRequest.None, Deadline.Token(30));
        Assert.Equal(Namespace(sandboxPid, "ipc"), Namespace(execPid, "ipc"));
        Assert.Equal(Namespace(sandboxPid, "uts"), Namespace(execPid, "uts"));
        await Engine.RemoveAsync("app", Deadline.Token(30));
    }

    private async Task<string> ExecHostnameAsync()
    {
        await Engine.ExecAsync(Sandbox, "hostname", OciSpecs.Bytes(OciSpecs.Process("hostname")), new StdioRequest(false, true, false), Deadline.Token(30));
        string text = await EngineHarness.ReadAllAsync(Engine.GetProcess(Sandbox, "hostname").Stdio.Stdout);
        await Engine.WaitAsync(Sandbox, "hostname", Deadline.Token(30));
        return text.Trim();
    }

    private static async Task WaitForOutputAsync(OutputBuffer? output, string expected)
    {
        var text = new StringBuilder();
        await foreach (byte[] chunk in output!.ReadAllAsync(Deadline.Token(60)))
        {
            text.Append(Encoding.UTF8.GetString(chunk));
            if (text.ToString().Contains(expected, StringComparison.Ordinal))
            {
                return;
            }
        }
        throw new InvalidOperationException($"the output ended without '{expected}': {text}");
    }

    private static string Namespace(int pid, string name) => new FileInfo($"/proc/{pid}/ns/{name}").LinkTarget!;

    public void Dispose() => _harness.Dispose();
}
