using System.Text;
using System.Text.Json.Nodes;
using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using KataSharp.Linux.Terminals;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

/// <summary>Signals, exec, stdin, terminals, pause and the container state machine, against real processes.</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly EngineHarness _harness = new();
    private ContainerEngine Engine => _harness.Engine;

    private async Task<string> StartSleeperAsync(string id)
    {
        await _harness.CreateAsync(id, OciSpecs.Create("sleep", "1000"), StdioRequest.None);
        await Engine.StartAsync(id, Deadline.Token(30));
        return id;
    }

    [Fact]
    public async Task Sigkill_FromOutside_EndsInitWith137()
    {
        string id = await StartSleeperAsync("killed");
        Assert.Equal(ContainerState.Running, Engine.List().Single().State);
        Engine.Signal(id, "", 9, all: false);
        ProcessExit exit = await Engine.WaitAsync(id, "", Deadline.Token(30));
        Assert.Equal(137, exit.ExitCode);
        Assert.Equal(9, exit.Signal);
        Assert.Equal(ContainerState.Stopped, Engine.List().Single().State);
        await Engine.RemoveAsync(id, Deadline.Token(30));
    }

    [Fact]
    public async Task Exec_JoinsTheContainersNamespaces_AndSigtermGives143()
    {
        string id = await StartSleeperAsync("exec-ns");
        int initPid = Engine.GetProcess(id, "").Pid;
        int execPid = await Engine.ExecAsync(id, "e1", OciSpecs.Bytes(OciSpecs.Process("sleep", "1000")), StdioRequest.None, Deadline.Token(30));
        foreach (string ns in new[] { "pid", "mnt", "uts", "ipc" })
        {
            Assert.Equal(Namespace(initPid, ns), Namespace(execPid, ns));
            Assert.NotEqual(Namespace(Environment.ProcessId, ns), Namespace(execPid, ns));
        }
        Assert.Equal(File.ReadAllText($"/proc/{initPid}/cgroup"), File.ReadAllText($"/proc/{execPid}/cgroup"));
        Engine.Signal(id, "e1", 15, all: false);
        Assert.Equal(143, (await Engine.WaitAsync(id, "e1", Deadline.Token(30))).ExitCode);
        Engine.RemoveProcess(id, "e1");
        await Engine.RemoveAsync(id, Deadline.Token(30));
    }

    [Fact]
    public async Task Exec_OutputAndExitCode_AndIdsAreChecked()
    {
        string id = await StartSleeperAsync("exec-out");
        await Engine.ExecAsync(id, "hn", OciSpecs.Bytes(OciSpecs.Process("sh", "-c", "hostname; exit 7")), new StdioRequest(false, true, false), Deadline.Token(30));
        Task<string> output = EngineHarness.ReadAllAsync(Engine.GetProcess(id, "hn").Stdio.Stdout);
        Assert.Equal(7, (await Engine.WaitAsync(id, "hn", Deadline.Token(30))).ExitCode);
        Assert.Equal("testbox\n", await output);
        var duplicate = await Assert.ThrowsAsync<AgentException>(() =>
            Engine.ExecAsync(id, "hn", OciSpecs.Bytes(OciSpecs.Process("true")), StdioRequest.None, Deadline.Token(30)));
        Assert.Equal(AgentErrorCode.AlreadyExists, duplicate.Code);
        var missing = await Assert.ThrowsAsync<AgentException>(() =>
            Engine.ExecAsync(id, "nope", OciSpecs.Bytes(OciSpecs.Process("/bin/does-not-exist")), StdioRequest.None, Deadline.Token(30)));
        Assert.Equal(AgentErrorCode.InvalidArgument, missing.Code);
        Assert.Equal("process_json.process.args[0]", missing.Field);
        await Engine.RemoveAsync(id, Deadline.Token(30));
    }

    [Fact]
    public async Task Stdin_IsDelivered_AndClosingItEndsTheReader()
    {
        await _harness.CreateAsync("stdin", OciSpecs.Create("sh", "-c", "tr a-z A-Z; echo done"), new StdioRequest(true, true, false));
        ContainerProcess init = Engine.GetProcess("stdin", "");
        Task<string> output = EngineHarness.ReadAllAsync(init.Stdio.Stdout);
        await Engine.StartAsync("stdin", Deadline.Token(30));
        Assert.True(await init.Stdio.WriteStdinAsync(Encoding.UTF8.GetBytes("hello stdin\n"), Deadline.Token(10)));
        init.Stdio.CloseStdin();
        Assert.Equal(0, (await Engine.WaitAsync("stdin", "", Deadline.Token(30))).ExitCode);
        Assert.Equal("HELLO STDIN\ndone\n", await output);
        await Engine.RemoveAsync("stdin", Deadline.Token(30));
    }

    [Fact]
    public async Task Terminal_CarriesOutput_AndResizeReachesTheProcess()
    {
        JsonObject spec = OciSpecs.Create("sh", "-c", "tty; stty size; read line; stty size");
        spec["process"]!["terminal"] = true;
        spec["process"]!["consoleSize"] = new JsonObject { ["height"] = 24, ["width"] = 80 };
        await _harness.CreateAsync("tty", spec, new StdioRequest(true, true, false));
        ContainerProcess init = Engine.GetProcess("tty", "");
        Assert.Null(init.Stdio.Stderr);
        var text = new StringBuilder();
        var reader = Task.Run(async () =>
        {
            await foreach (byte[] chunk in init.Stdio.Stdout!.ReadAllAsync(Deadline.Token(60)))
            {
                lock (text)
                {
                    text.Append(Encoding.UTF8.GetString(chunk));
                }
            }
        });
        await Engine.StartAsync("tty", Deadline.Token(30));
        await WaitUntilAsync(() => { lock (text) { return text.ToString().Contains("24 80"); } });
        init.Stdio.Resize(new TerminalSize(33, 101));
        Assert.True(await init.Stdio.WriteStdinAsync("go\n"u8.ToArray(), Deadline.Token(10)));
        Assert.Equal(0, (await Engine.WaitAsync("tty", "", Deadline.Token(30))).ExitCode);
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        string output = text.ToString();
        Assert.Contains("/dev/pts/0", output); // made in the container's own devpts
        Assert.Contains("24 80", output);
        Assert.Contains("33 101", output);
        await Engine.RemoveAsync("tty", Deadline.Token(30));
    }

    [Fact]
    public async Task ExecWithTerminal_GetsAPtyOfTheContainersDevpts()
    {
        JsonObject spec = OciSpecs.Create("sleep", "1000");
        await _harness.CreateAsync("exec-tty", spec, StdioRequest.None);
        await Engine.StartAsync("exec-tty", Deadline.Token(30));
        JsonObject process = OciSpecs.Process("sh", "-c", "tty; ls /dev/pts");
        process["terminal"] = true;
        await Engine.ExecAsync("exec-tty", "t", OciSpecs.Bytes(process), new StdioRequest(false, true, false), Deadline.Token(30));
        Task<string> output = EngineHarness.ReadAllAsync(Engine.GetProcess("exec-tty", "t").Stdio.Stdout);
        Assert.Equal(0, (await Engine.WaitAsync("exec-tty", "t", Deadline.Token(30))).ExitCode);
        string text = await output;
        Assert.Matches(@"^/dev/pts/\d+\r\n", text);
        await Engine.RemoveAsync("exec-tty", Deadline.Token(30));
    }

    [Fact]
    public async Task PauseAndResume_FreezeTheCgroup_AndFollowTheStateMachine()
    {
        string id = await StartSleeperAsync("pause");
        await Engine.SetPausedAsync(id, true, Deadline.Token(30));
        Container c = Engine.List().Single();
        Assert.Equal(ContainerState.Paused, c.State);
        Assert.Contains("frozen 1", File.ReadAllText(c.Cgroup!.EventsFile));
        var exec = await Assert.ThrowsAsync<AgentException>(() =>
            Engine.ExecAsync(id, "x", OciSpecs.Bytes(OciSpecs.Process("true")), StdioRequest.None, Deadline.Token(30)));
        Assert.Equal(AgentErrorCode.FailedPrecondition, exec.Code);
        await Engine.SetPausedAsync(id, false, Deadline.Token(30));
        Assert.Equal(ContainerState.Running, c.State);
        Assert.Contains("frozen 0", File.ReadAllText(c.Cgroup.EventsFile));
        var again = await Assert.ThrowsAsync<AgentException>(() => Engine.SetPausedAsync(id, false, Deadline.Token(30)));
        Assert.Equal(AgentErrorCode.FailedPrecondition, again.Code);
        await Engine.RemoveAsync(id, Deadline.Token(30));
    }

    [Fact]
    public async Task StateMachine_RejectsStartTwice_AndUnknownIds()
    {
        string id = await StartSleeperAsync("twice");
        var start = await Assert.ThrowsAsync<AgentException>(() => Engine.StartAsync(id, Deadline.Token(30)));
        Assert.Equal(AgentErrorCode.FailedPrecondition, start.Code);
        var create = await Assert.ThrowsAsync<AgentException>(() => _harness.CreateAsync(id, OciSpecs.Create("true")));
        Assert.Equal(AgentErrorCode.AlreadyExists, create.Code);
        Assert.Equal(AgentErrorCode.NotFound, Assert.Throws<AgentException>(() => Engine.Signal("ghost", "", 9, false)).Code);
        await Engine.RemoveAsync(id, Deadline.Token(30));
        Assert.Equal(AgentErrorCode.NotFound, (await Assert.ThrowsAsync<AgentException>(() => Engine.StartAsync(id, Deadline.Token(30)))).Code);
    }

    [Fact]
    public async Task RemovingACreatedContainer_KillsTheWaitingInit()
    {
        await _harness.CreateAsync("never-started", OciSpecs.Create("sleep", "1000"), StdioRequest.None);
        int pid = Engine.GetProcess("never-started", "").Pid;
        Assert.True(Directory.Exists($"/proc/{pid}"));
        await Engine.RemoveAsync("never-started", Deadline.Token(30));
        Assert.False(Directory.Exists($"/proc/{pid}"), "the init process must be gone (reaped) after RemoveContainer");
    }

    [Fact]
    public async Task TwoHundredCycles_LeaveNoMountsCgroupsOrProcesses()
    {
        // Processes are found by this harness's cgroup subtree, not as children of the test process: xunit runs
        // other test classes at the same time, and their containers' processes are children of this process too.
        Assert.True(Engine.Cgroups.IsAvailable, $"this test finds its containers' processes by their cgroup: it needs cgroup v2 at {_harness.CgroupMountPoint}");
        for (int i = 0; i < 200; i++)
        {
            string id = $"cycle{i}";
            int init = await _harness.CreateAsync(id, OciSpecs.Create("true"), StdioRequest.None);
            if (i == 0)
            {
                // The check at the end must be able to see a process of this test's containers.
                Assert.Contains(_harness.ProcessesInItsCgroups(), p => p.Pid == init && p.Cgroup.EndsWith($"/{id}", StringComparison.Ordinal));
            }
            await Engine.StartAsync(id, Deadline.Token(30));
            Assert.Equal(0, (await Engine.WaitAsync(id, "", Deadline.Token(30))).ExitCode);
            await Engine.RemoveAsync(id, Deadline.Token(30));
        }
        Assert.Empty(_harness.ProcessesInItsCgroups()); // neither running nor unreaped (zombie)
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), line => line.Contains(_harness.StateDir, StringComparison.Ordinal));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_harness.CgroupMountPoint, _harness.Options.CgroupName)));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_harness.StateDir, "containers")));
    }

    private static string? Namespace(int pid, string ns) => new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        CancellationToken deadline = Deadline.Token(30);
        while (!condition())
        {
            await Task.Delay(20, deadline);
        }
    }

    public void Dispose() => _harness.Dispose();
}
