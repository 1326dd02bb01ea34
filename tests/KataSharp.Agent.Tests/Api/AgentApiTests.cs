using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using KataSharp.Agent.Protocol;
using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Api;

/// <summary>The gRPC API end to end: a real client against the real agent process over a unix socket.</summary>
public sealed class AgentApiTests(AgentProcess agent) : IClassFixture<AgentProcess>
{
    private AgentService.AgentServiceClient Client => agent.Client;

    private static RootFilesystem Rootfs => ContainerRun.Directory(BusyboxRootfs.Path);

    private static string NewId() => $"c{Guid.NewGuid():N}"[..12];

    [Fact]
    public async Task Health_IsServing_AndDetailsDescribeTheGuest()
    {
        var health = await new Health.HealthClient(agent.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.Status.Serving, health.Status);
        GuestDetails details = await Client.GetGuestDetailsAsync(new GetGuestDetailsRequest());
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), details.KernelRelease);
        Assert.Equal("0.1.0", details.AgentVersion);
        Assert.Equal(Path.Combine(agent.StateDir, "shared"), details.SharedDir);
        Assert.True(details.AgentRssBytes > 1 << 20, $"agent RSS {details.AgentRssBytes}");
        Assert.True(details.MemoryTotalBytes > 0);
    }

    [Fact]
    public async Task StdoutStdinAndExitCode_FlowThroughTheStreams()
    {
        RunResult run = await ContainerRun.RunAsync(Client, NewId(), OciSpecs.Create("sh", "-c", "read a; echo out:$a; echo err:$a >&2; exit 3"), Rootfs, stdin: "ping\n");
        Assert.Equal("out:ping\n", run.Stdout);
        Assert.Equal("err:ping\n", run.Stderr);
        Assert.Equal(3, run.ExitCode);
    }

    [Fact]
    public async Task Sigkill_GivesExitCode137_AndWaitReportsTheSignal()
    {
        string id = NewId();
        await CreateAsync(id, OciSpecs.Create("sleep", "1000"));
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        var init = new ProcessRef { ContainerId = id };
        await Client.SignalProcessAsync(new SignalProcessRequest { Process = init, Signal = 9 });
        WaitProcessResponse exit = await Client.WaitProcessAsync(new WaitProcessRequest { Process = init });
        Assert.Equal(137, exit.ExitCode);
        Assert.Equal(9u, exit.Signal);
        ListContainersResponse list = await Client.ListContainersAsync(new ListContainersRequest());
        Assert.Equal(ContainerState.Stopped, list.Containers.Single(c => c.ContainerId == id).State);
        await Client.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
    }

    [Fact]
    public async Task SequentialExecs_RunInsideTheContainer()
    {
        string id = NewId();
        await CreateAsync(id, OciSpecs.Create("sleep", "1000"));
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        for (int i = 0; i < 10; i++)
        {
            RunResult exec = await ContainerRun.ExecAsync(Client, id, $"e{i}", OciSpecs.Process("sh", "-c", $"echo exec-{i} $(hostname)"));
            Assert.Equal(0, exec.ExitCode);
            Assert.Equal($"exec-{i} testbox\n", exec.Stdout);
        }
        await Client.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
    }

    [Fact]
    public async Task CreateSandbox_SetsHostnameAndDns_UsedByContainersWithoutTheirOwn()
    {
        await Client.CreateSandboxAsync(new CreateSandboxRequest
        {
            SandboxId = "api-sandbox", Hostname = "pod-host",
            Dns = new Dns { Servers = { "10.0.0.10" }, Searches = { "svc.local" }, Options = { "ndots:5" } },
        });
        Assert.Equal("nameserver 10.0.0.10\nsearch svc.local\noptions ndots:5\n", File.ReadAllText(Path.Combine(agent.EtcDir, "resolv.conf")));
        JsonObject spec = OciSpecs.Create("hostname");
        spec.Remove("hostname");
        RunResult run = await ContainerRun.RunAsync(Client, NewId(), spec, Rootfs);
        Assert.Equal("pod-host\n", run.Stdout);
        var other = await Assert.ThrowsAsync<RpcException>(() => Client.CreateSandboxAsync(new CreateSandboxRequest { SandboxId = "another" }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, other.StatusCode);
    }

    [Fact]
    public async Task CopiedFile_CanBeBindMountedIntoAContainer()
    {
        CopyFileResponse copied = await Client.CopyFileAsync(new CopyFileRequest
        {
            Path = "volumes/config/app.conf", Data = ByteString.CopyFromUtf8("key=value\n"), FileSize = 10, Mode = 0x1a4,
        });
        JsonObject spec = OciSpecs.Create("cat", "/etc/app.conf");
        spec["mounts"]!.AsArray().Add((JsonNode)new JsonObject
        {
            ["destination"] = "/etc/app.conf", ["type"] = "bind", ["source"] = copied.GuestPath, ["options"] = new JsonArray("rbind", "ro"),
        });
        RunResult run = await ContainerRun.RunAsync(Client, NewId(), spec, Rootfs);
        Assert.Equal("key=value\n", run.Stdout);
        RpcException escape = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CopyFileAsync(new CopyFileRequest { Path = "../../etc/passwd", Data = ByteString.CopyFromUtf8("x"), FileSize = 1 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, escape.StatusCode);
        Assert.Equal("path", Field(escape));
    }

    [Theory]
    [InlineData("missing-args", "process.args")]
    [InlineData("negative-uid", "process.user.uid")]
    [InlineData("unknown-user", "process.user.username")]
    [InlineData("unknown-mount-type", "mounts[6].type")]
    [InlineData("user-namespace", "linux.namespaces[5].type")]
    [InlineData("unknown-capability", "process.capabilities.bounding[0]")]
    [InlineData("unknown-rlimit", "process.rlimits[0].type")]
    [InlineData("relative-cwd", "process.cwd")]
    [InlineData("missing-program", "process.args[0]")]
    public async Task InvalidSpecs_AreInvalidArgument_NamingTheField(string problem, string field)
    {
        JsonObject spec = OciSpecs.Create("true");
        JsonObject process = spec["process"]!.AsObject();
        switch (problem)
        {
            case "missing-args": process["args"] = new JsonArray(); break;
            case "negative-uid": process["user"]!["uid"] = -5; break;
            case "unknown-user": process["user"] = new JsonObject { ["username"] = "nobody-here" }; break;
            case "unknown-mount-type":
                spec["mounts"]!.AsArray().Add((JsonNode)new JsonObject { ["destination"] = "/x", ["type"] = "fancyfs", ["source"] = "none" });
                break;
            case "user-namespace": spec["linux"]!["namespaces"]!.AsArray().Add((JsonNode)new JsonObject { ["type"] = "user" }); break;
            case "unknown-capability": process["capabilities"]!["bounding"] = new JsonArray("CAP_FLY"); break;
            case "unknown-rlimit": process["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_BANANAS", ["soft"] = 1, ["hard"] = 1 }); break;
            case "relative-cwd": process["cwd"] = "tmp"; break;
            case "missing-program": process["args"] = new JsonArray("/bin/not-here"); break;
        }
        string id = NewId();
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => CreateAsync(id, spec));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(field, Field(e));
        Assert.StartsWith(field, e.Status.Detail);
        ListContainersResponse list = await Client.ListContainersAsync(new ListContainersRequest());
        Assert.DoesNotContain(list.Containers, c => c.ContainerId == id);
    }

    [Fact]
    public async Task MalformedJson_IsInvalidArgument()
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Client.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = NewId(), OciSpecJson = ByteString.CopyFromUtf8("{\"process\": {\"args\": 5}}"), Rootfs = Rootfs,
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("process.args", Field(e));
    }

    [Fact]
    public async Task UnknownIds_AreNotFound_AndLifecycleMistakesFailedPrecondition()
    {
        RpcException start = await Assert.ThrowsAsync<RpcException>(() => Client.StartContainerAsync(new StartContainerRequest { ContainerId = "ghost" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, start.StatusCode);
        string id = NewId();
        await CreateAsync(id, OciSpecs.Create("sleep", "1000"));
        RpcException exec = await Assert.ThrowsAsync<RpcException>(() => Client.ExecProcessAsync(new ExecProcessRequest
        {
            ContainerId = id, ExecId = "early", ProcessJson = ByteString.CopyFromUtf8(OciSpecs.Process("true").ToJsonString()),
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, exec.StatusCode);
        RpcException wait = await Assert.ThrowsAsync<RpcException>(() => Client.WaitProcessAsync(new WaitProcessRequest
        {
            Process = new ProcessRef { ContainerId = id, ExecId = "none" },
        }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, wait.StatusCode);
        RpcException stdout = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = Client.ReadStdout(new ReadStreamRequest { Process = new ProcessRef { ContainerId = id } });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.FailedPrecondition, stdout.StatusCode);
        await Client.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id });
    }

    [Fact]
    public async Task JoinNamespaces_JoinsTheNamedContainers_AndABadJoinIsRefusedNamingIt()
    {
        string sandbox = NewId();
        await CreateAsync(sandbox, OciSpecs.Create("sleep", "1000"));
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = sandbox });
        uint sandboxPid = (await Client.ListContainersAsync(new ListContainersRequest())).Containers.Single(c => c.ContainerId == sandbox).Pid;
        RpcException unspecified = await Assert.ThrowsAsync<RpcException>(() => CreateJoiningAsync(NewId(), sandbox, SharedNamespace.Ipc, SharedNamespace.Unspecified));
        Assert.Equal(StatusCode.InvalidArgument, unspecified.StatusCode);
        Assert.Equal("join_namespaces.namespace_types[1]", Field(unspecified));
        RpcException unknown = await Assert.ThrowsAsync<RpcException>(() => CreateJoiningAsync(NewId(), "ghost-sandbox", SharedNamespace.Ipc));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("'ghost-sandbox'", unknown.Status.Detail);
        string app = NewId();
        CreateContainerResponse created = await CreateJoiningAsync(app, sandbox, SharedNamespace.Ipc, SharedNamespace.Pid);
        Assert.Equal(new FileInfo($"/proc/{sandboxPid}/ns/ipc").LinkTarget, new FileInfo($"/proc/{created.Pid}/ns/ipc").LinkTarget);
        Assert.Equal(new FileInfo($"/proc/{sandboxPid}/ns/pid").LinkTarget, new FileInfo($"/proc/{created.Pid}/ns/pid").LinkTarget);
        Assert.NotEqual(new FileInfo($"/proc/{sandboxPid}/ns/uts").LinkTarget, new FileInfo($"/proc/{created.Pid}/ns/uts").LinkTarget);
        await Client.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = app });
        await Client.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = sandbox });
    }

    private Task<CreateContainerResponse> CreateJoiningAsync(string id, string owner, params SharedNamespace[] types)
    {
        JsonObject spec = OciSpecs.Create("sleep", "1000");
        spec.Remove("hostname");
        var join = new NamespaceJoin { ContainerId = owner };
        join.NamespaceTypes.Add(types);
        return Client.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = id, OciSpecJson = ByteString.CopyFromUtf8(spec.ToJsonString()), Rootfs = Rootfs, JoinNamespaces = join,
        }).ResponseAsync;
    }

    private Task CreateAsync(string id, JsonObject spec) => Client.CreateContainerAsync(new CreateContainerRequest
    {
        ContainerId = id, OciSpecJson = ByteString.CopyFromUtf8(spec.ToJsonString()), Rootfs = Rootfs,
    }).ResponseAsync;

    private static string? Field(RpcException e) => e.Trailers.GetValue(AgentProtocolConstants.ErrorFieldTrailer);
}
