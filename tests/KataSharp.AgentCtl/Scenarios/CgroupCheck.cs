using System.Text.Json.Nodes;
using Grpc.Core;
using KataSharp.Agent.Protocol;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>
/// cgroup v2 behaviour that only a kernel with v2 controllers can show (the nested test host's L1,
/// or the guest): a memory limit ends in an OOM kill that the OOM event stream reports, a pids
/// limit stops forks, stats report the limits, pause freezes and update changes limits.
/// Prints key=value lines; the host-side test asserts on them.
/// </summary>
public static class CgroupCheck
{
    public static async Task RunAsync(AgentService.AgentServiceClient agent, RootFilesystem rootfs, TextWriter output, CancellationToken ct)
    {
        GuestDetails details = await agent.GetGuestDetailsAsync(new GetGuestDetailsRequest(), cancellationToken: ct);
        output.WriteLine($"controllers={string.Join(',', details.CgroupControllers)}");

        // --- memory limit → OOM kill → OomEvents
        using var events = agent.OomEvents(new OomEventsRequest(), cancellationToken: ct);
        JsonObject oomSpec = OciSpecs.Create("sh", "-c", "head -c 200m /dev/zero | tail > /dev/null");
        oomSpec["linux"]!["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = 32L << 20 } };
        Task<OomEvent?> firstEvent = NextEventAsync(events, ct);
        RunResult oom = await ContainerRun.RunAsync(agent, "oom", oomSpec, rootfs, ct: ct);
        output.WriteLine($"oom_exit_code={oom.ExitCode}");
        OomEvent? ev = await firstEvent.WaitAsync(TimeSpan.FromSeconds(30), ct);
        output.WriteLine($"oom_event_container={ev?.ContainerId}");
        output.WriteLine($"oom_event_kills={ev?.OomKillCount}");

        // --- pids limit, stats, pause/resume, update. busybox sh treats a failed fork as fatal, so the
        // container fills its limit exactly (sh + 4 sleeps = 5) and an exec is the process too many.
        JsonObject pidsSpec = OciSpecs.Create("sh", "-c", "sleep 600 & sleep 600 & sleep 600 & sleep 600 & echo forked; exec sleep 600");
        pidsSpec["linux"]!["resources"] = new JsonObject
        {
            ["pids"] = new JsonObject { ["limit"] = 5 },
            ["memory"] = new JsonObject { ["limit"] = 64L << 20 },
            ["cpu"] = new JsonObject { ["quota"] = 50000, ["period"] = 100000 },
        };
        await agent.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = "pids", OciSpecJson = Google.Protobuf.ByteString.CopyFromUtf8(pidsSpec.ToJsonString()), Rootfs = rootfs,
            Io = new ProcessIo { Stdout = true },
        }, cancellationToken: ct);
        var init = new ProcessRef { ContainerId = "pids" };
        using var stdout = agent.ReadStdout(new ReadStreamRequest { Process = init }, cancellationToken: ct);
        await agent.StartContainerAsync(new StartContainerRequest { ContainerId = "pids" }, cancellationToken: ct);
        output.WriteLine($"pids_stdout={(await stdout.ResponseStream.MoveNext(ct) ? stdout.ResponseStream.Current.Data.ToStringUtf8().Trim() : "")}");
        try
        {
            await ContainerRun.ExecAsync(agent, "pids", "one-too-many", OciSpecs.Process("true"), ct);
            output.WriteLine("pids_exec_refused=0");
        }
        catch (RpcException e)
        {
            output.WriteLine($"pids_exec_refused=1");
            output.WriteLine($"pids_exec_error={e.Status.Detail}");
        }
        ContainerStats stats = await agent.StatsContainerAsync(new StatsContainerRequest { ContainerId = "pids" }, cancellationToken: ct);
        output.WriteLine($"stats_pids_current={stats.Pids.Current}");
        output.WriteLine($"stats_pids_limit={stats.Pids.Limit}");
        output.WriteLine($"stats_memory_limit={stats.Memory.LimitBytes}");
        output.WriteLine($"stats_memory_usage={stats.Memory.UsageBytes}");
        output.WriteLine($"stats_memory_stat_keys={stats.Memory.Stat.Count}");
        output.WriteLine($"stats_cpu_usage_usec={stats.Cpu.UsageUsec}");

        await agent.PauseContainerAsync(new PauseContainerRequest { ContainerId = "pids" }, cancellationToken: ct);
        ListContainersResponse list = await agent.ListContainersAsync(new ListContainersRequest(), cancellationToken: ct);
        output.WriteLine($"paused_state={list.Containers.Single(c => c.ContainerId == "pids").State}");
        await agent.ResumeContainerAsync(new ResumeContainerRequest { ContainerId = "pids" }, cancellationToken: ct);
        list = await agent.ListContainersAsync(new ListContainersRequest(), cancellationToken: ct);
        output.WriteLine($"resumed_state={list.Containers.Single(c => c.ContainerId == "pids").State}");

        await agent.UpdateContainerAsync(new UpdateContainerRequest
        {
            ContainerId = "pids",
            ResourcesJson = Google.Protobuf.ByteString.CopyFromUtf8(new JsonObject { ["memory"] = new JsonObject { ["limit"] = 96L << 20 } }.ToJsonString()),
        }, cancellationToken: ct);
        stats = await agent.StatsContainerAsync(new StatsContainerRequest { ContainerId = "pids" }, cancellationToken: ct);
        output.WriteLine($"updated_memory_limit={stats.Memory.LimitBytes}");
        await agent.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = "pids" }, cancellationToken: ct);
        list = await agent.ListContainersAsync(new ListContainersRequest(), cancellationToken: ct);
        output.WriteLine($"containers_left={list.Containers.Count}");
    }

    private static async Task<OomEvent?> NextEventAsync(AsyncServerStreamingCall<OomEvent> events, CancellationToken ct) =>
        await events.ResponseStream.MoveNext(ct) ? events.ResponseStream.Current : null;
}
