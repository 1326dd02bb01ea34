using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Events;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tasks;
using KataSharp.Runtime.Tests.Fakes;
using KataSharp.Runtime.Ttrpc;
using Xunit;

namespace KataSharp.Runtime.Tests.Tasks;

/// <summary>The Task API driven over ttrpc in the orders containerd 1.6 uses, against the fake backend.</summary>
public class TaskServiceTests
{
    private static readonly ProcessKey C1 = new("c1", null);

    [Fact]
    public async Task Ctr_run_sequence_runs_a_container_and_reports_its_exit_in_order()
    {
        await using var h = TaskHarness.Start();
        string stdout = h.Fifo("c1-stdout"), stderr = h.Fifo("c1-stderr");
        Task<string> outText = h.ReadFifoToEnd(stdout), errText = h.ReadFifoToEnd(stderr);

        var created = await h.Call("Create", h.CreateRequest("c1", stdout, stderr), CreateTaskResponse.Parser);
        Assert.Equal(4242u, created.Pid); // the VM's pid stands for every task
        var connect = await h.Call("Connect", new ConnectRequest { Id = "c1" }, ConnectResponse.Parser);
        Assert.Equal((uint)Environment.ProcessId, connect.ShimPid);
        Task<WaitResponse> wait = h.Call("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        Assert.Equal(Containerd.Wire.Status.Running, (await h.Call("State", new StateRequest { Id = "c1" }, StateResponse.Parser)).Status);

        var guest = h.Backend.Process(C1);
        guest.WriteStdout("hello from the guest\n");
        guest.WriteStderr("a warning\n");
        guest.Exit(7);

        WaitResponse exit = await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(7u, exit.ExitStatus);
        Assert.True(exit.ExitedAt.Seconds > 0);
        Assert.Equal("hello from the guest\n", await outText.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("a warning\n", await errText.WaitAsync(TimeSpan.FromSeconds(10)));

        var state = await h.Call("State", new StateRequest { Id = "c1" }, StateResponse.Parser);
        Assert.Equal(Containerd.Wire.Status.Stopped, state.Status);
        Assert.Equal(7u, state.ExitStatus);
        var deleted = await h.Call("Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser);
        Assert.Equal(7u, deleted.ExitStatus);
        Assert.Equal(exit.ExitedAt, deleted.ExitedAt);
        await h.Call("Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser);

        Assert.True(h.ExitRequested);
        Assert.True(h.Backend.Stopped);
        Assert.Equal([EventTopics.TaskCreate, EventTopics.TaskStart, EventTopics.TaskExit, EventTopics.TaskDelete], h.Events.Topics);
        Assert.Null(h.Store.Load("sb1"));
    }

    [Fact]
    public async Task A_missing_stdio_fifo_fails_start_and_kills_what_was_started()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1", stdout: h.Path("no-such-fifo")), CreateTaskResponse.Parser);
        var error = await h.CallFails("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.Code);
        Assert.Contains("cannot open its stdio FIFOs", error.Message);
        Assert.Equal([9], h.Backend.Process(C1).Signals);
        Assert.Equal(Containerd.Wire.Status.Created, (await h.Call("State", new StateRequest { Id = "c1" }, StateResponse.Parser)).Status);
    }

    [Fact]
    public async Task Wait_works_before_start_and_returns_the_same_status_every_time()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        var early = h.Call("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        h.Backend.Process(C1).Exit(3);
        var first = await early.WaitAsync(TimeSpan.FromSeconds(10));
        var again = await h.Call("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser);
        Assert.Equal(3u, first.ExitStatus);
        Assert.Equal(first, again);
    }

    [Fact]
    public async Task Container_and_exec_starts_ask_for_the_memory_trim_and_creates_do_not()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        Assert.Equal(0, h.Trim.Activities);

        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        Assert.Equal(1, h.Trim.Activities);

        // How often a trim may then run is MemoryTrim's (MemoryTrimTests): once per MinimumInterval at most.
        for (int i = 0; i < 3; i++)
        {
            await h.Call("Exec", ExecRequest("c1", $"e{i}"), Empty.Parser);
            await h.Call("Start", new StartRequest { Id = "c1", ExecId = $"e{i}" }, StartResponse.Parser);
        }
        Assert.Equal(4, h.Trim.Activities);
    }

    [Fact]
    public async Task Exec_exits_are_published_before_the_init_exit()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        await h.Call("Exec", ExecRequest("c1", "e1"), Empty.Parser);
        Assert.Equal(Containerd.Wire.Status.Created, (await h.Call("State", new StateRequest { Id = "c1", ExecId = "e1" }, StateResponse.Parser)).Status);
        var execWait = h.Call("Wait", new WaitRequest { Id = "c1", ExecId = "e1" }, WaitResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1", ExecId = "e1" }, StartResponse.Parser);

        // init dies first; its exec dies with it a little later (pid namespace teardown in the guest).
        var initWait = h.Call("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser);
        h.Backend.Process(C1).Exit(0);
        await Eventually.TrueAsync(() => h.Supervisor.State(C1).State == ProcessState.Running, "init still running while its exec lives");
        h.Backend.Process(new ProcessKey("c1", "e1")).Exit(137);

        Assert.Equal(137u, (await execWait.WaitAsync(TimeSpan.FromSeconds(10))).ExitStatus);
        Assert.Equal(0u, (await initWait.WaitAsync(TimeSpan.FromSeconds(10))).ExitStatus);
        var exits = h.Events.Events.Where(e => e.Topic == EventTopics.TaskExit).Select(e => ((TaskExit)e.Message).Id).ToList();
        Assert.Equal(["e1", "c1"], exits);
        Assert.Equal([EventTopics.TaskCreate, EventTopics.TaskStart, EventTopics.TaskExecAdded, EventTopics.TaskExecStarted, EventTopics.TaskExit, EventTopics.TaskExit],
            h.Events.Topics);
    }

    [Fact]
    public async Task Exec_lifecycle_ends_with_delete_and_forgets_the_exec()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        await h.Call("Exec", ExecRequest("c1", "e1"), Empty.Parser);
        var duplicate = await h.CallFails("Exec", ExecRequest("c1", "e1"), Empty.Parser);
        Assert.Equal(TtrpcStatusCode.AlreadyExists, duplicate.Code);
        await h.Call("Start", new StartRequest { Id = "c1", ExecId = "e1" }, StartResponse.Parser);
        Assert.Equal("""{"args":["ls"]}""", h.Backend.Launches[new ProcessKey("c1", "e1")].ExecSpecJson);
        Assert.Null(h.Backend.Launches[C1].ExecSpecJson);
        h.Backend.Process(new ProcessKey("c1", "e1")).Exit(2);
        await h.Call("Wait", new WaitRequest { Id = "c1", ExecId = "e1" }, WaitResponse.Parser);
        var deleted = await h.Call("Delete", new DeleteRequest { Id = "c1", ExecId = "e1" }, DeleteResponse.Parser);
        Assert.Equal(2u, deleted.ExitStatus);
        Assert.Contains("remove exec e1 of container c1", h.Backend.Calls);
        var gone = await h.CallFails("State", new StateRequest { Id = "c1", ExecId = "e1" }, StateResponse.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, gone.Code);
        Assert.DoesNotContain(EventTopics.TaskDelete, h.Events.Topics); // neither runc nor Kata publish it for execs
    }

    [Fact]
    public async Task Kill_signals_the_process_and_a_finished_process_is_not_found()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        await h.Call("Kill", new KillRequest { Id = "c1", Signal = 15 }, Empty.Parser);
        var exit = await h.Call("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser);
        Assert.Equal(143u, exit.ExitStatus);
        Assert.Equal([15], h.Backend.Process(C1).Signals);
        var again = await h.CallFails("Kill", new KillRequest { Id = "c1", Signal = 9, All = true }, Empty.Parser);
        Assert.Equal(TtrpcStatusCode.NotFound, again.Code);
    }

    [Fact]
    public async Task Killing_a_created_container_ends_it_without_starting_anything()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Kill", new KillRequest { Id = "c1", Signal = 9 }, Empty.Parser);
        Assert.Equal(137u, (await h.Call("Wait", new WaitRequest { Id = "c1" }, WaitResponse.Parser)).ExitStatus);
        Assert.False(h.Backend.IsStarted(C1));
        Assert.Equal([EventTopics.TaskCreate, EventTopics.TaskExit], h.Events.Topics);
    }

    [Fact]
    public async Task Wrong_states_and_unknown_ids_get_containerd_error_codes()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.AlreadyExists, (await h.CallFails("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser)).Code);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        Assert.Equal(TtrpcStatusCode.FailedPrecondition, (await h.CallFails("Start", new StartRequest { Id = "c1" }, StartResponse.Parser)).Code);
        var running = await h.CallFails("Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser);
        Assert.Equal(TtrpcStatusCode.FailedPrecondition, running.Code);
        Assert.Contains("cannot delete a running process", running.Message);
        Assert.Equal(TtrpcStatusCode.FailedPrecondition, (await h.CallFails("Resume", new ResumeRequest { Id = "c1" }, Empty.Parser)).Code);
        Assert.Equal(TtrpcStatusCode.NotFound, (await h.CallFails("State", new StateRequest { Id = "nope" }, StateResponse.Parser)).Code);
        Assert.Equal(TtrpcStatusCode.NotFound, (await h.CallFails("Kill", new KillRequest { Id = "nope", Signal = 9 }, Empty.Parser)).Code);
        Assert.Equal(TtrpcStatusCode.NotFound, (await h.CallFails("Wait", new WaitRequest { Id = "c1", ExecId = "nope" }, WaitResponse.Parser)).Code);
        Assert.Equal(TtrpcStatusCode.InvalidArgument, (await h.CallFails("Create", h.CreateRequest("bad/id"), CreateTaskResponse.Parser)).Code);
        var checkpoint = await h.CallFails("Checkpoint", new CheckpointTaskRequest { Id = "c1" }, Empty.Parser);
        Assert.Equal(TtrpcStatusCode.Unimplemented, checkpoint.Code);
        Assert.Contains("not supported", checkpoint.Message);
    }

    [Fact]
    public async Task Pause_and_resume_change_state_and_publish_events()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        await h.Call("Pause", new PauseRequest { Id = "c1" }, Empty.Parser);
        Assert.Equal(Containerd.Wire.Status.Paused, (await h.Call("State", new StateRequest { Id = "c1" }, StateResponse.Parser)).Status);
        await h.Call("Resume", new ResumeRequest { Id = "c1" }, Empty.Parser);
        Assert.Equal(Containerd.Wire.Status.Running, (await h.Call("State", new StateRequest { Id = "c1" }, StateResponse.Parser)).Status);
        Assert.Equal([EventTopics.TaskCreate, EventTopics.TaskStart, EventTopics.TaskPaused, EventTopics.TaskResumed], h.Events.Topics);
        Assert.Contains("pause c1", h.Backend.Calls);
        Assert.Contains("resume c1", h.Backend.Calls);
    }

    [Fact]
    public async Task Stats_pids_update_and_resize_reach_the_backend()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1", terminal: true), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        var stats = await h.Call("Stats", new StatsRequest { Id = "c1" }, StatsResponse.Parser);
        Assert.Equal("io.containerd.cgroups.v2.Metrics", stats.Stats.TypeUrl);
        var pids = await h.Call("Pids", new PidsRequest { Id = "c1" }, PidsResponse.Parser);
        Assert.Equal([1u, 7u], pids.Processes.Select(p => p.Pid));
        var update = new UpdateTaskRequest { Id = "c1", Resources = new Any { TypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources", Value = Google.Protobuf.ByteString.CopyFromUtf8("""{"memory":{"limit":1048576}}""") } };
        await h.Call("Update", update, Empty.Parser);
        Assert.Equal("""{"memory":{"limit":1048576}}""", h.Backend.LastUpdate);
        await h.Call("ResizePty", new ResizePtyRequest { Id = "c1", Width = 120, Height = 40 }, Empty.Parser);
        Assert.Equal([(C1, 120u, 40u)], h.Backend.Resizes);
    }

    [Fact]
    public async Task Oom_in_the_guest_becomes_TaskOOM()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        h.Backend.ReportOom("c1");
        await Eventually.TrueAsync(() => h.Events.Topics.Contains(EventTopics.TaskOom), "TaskOOM published");
        Assert.Equal("c1", ((TaskOOM)h.Events.Events.Single(e => e.Topic == EventTopics.TaskOom).Message).ContainerId);
    }

    [Fact]
    public async Task Oom_for_a_container_this_shim_does_not_run_is_not_forwarded()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        h.Backend.ReportOom("someone-elses");
        h.Backend.ReportOom("c1"); // after the unknown one: once it is published, the unknown one was handled
        await Eventually.TrueAsync(() => h.Events.Topics.Contains(EventTopics.TaskOom), "TaskOOM published");
        Assert.Equal(["c1"], h.Events.Events.Where(e => e.Topic == EventTopics.TaskOom).Select(e => ((TaskOOM)e.Message).ContainerId));
        Assert.Equal(1, h.Log.Drops.IgnoredOomEvents);
    }

    [Fact]
    public async Task A_guest_spamming_oom_events_cannot_flood_containerd()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        var started = DateTime.UtcNow;
        for (int i = 0; i < 10_000; i++)
        {
            h.Backend.ReportOom("c1");
            h.Backend.ReportOom($"forged-{i}");
        }
        // The relay forwards from its own loop: the first event for c1 may still be on its way when the drops are counted.
        await Eventually.TrueAsync(() => h.Log.Drops.IgnoredOomEvents == 10_000 && h.Log.Drops.DroppedOomEvents >= 9_000
            && h.Events.Topics.Any(t => t == EventTopics.TaskOom), "the spam dropped and counted, and c1's first event published");
        double seconds = (DateTime.UtcNow - started).TotalSeconds;
        int published = h.Events.Topics.Count(t => t == EventTopics.TaskOom);
        Assert.InRange(published, 1, OomEventRelay.Burst + (int)Math.Ceiling(seconds * OomEventRelay.PerSecond) + 1);
        Assert.All(h.Events.Events.Where(e => e.Topic == EventTopics.TaskOom), e => Assert.Equal("c1", ((TaskOOM)e.Message).ContainerId));
    }

    [Fact]
    public async Task A_dead_vm_reports_every_process_exited_and_releases_every_wait()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Create", h.CreateRequest("c2"), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        var waits = new[] { "c1", "c2" }.Select(id => h.Call("Wait", new WaitRequest { Id = id }, WaitResponse.Parser)).ToList();
        h.Backend.Crash();
        var exits = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.All(exits, e => Assert.Equal(ExitStatus.Killed, e.ExitStatus));
        await Eventually.TrueAsync(() => h.Events.Topics.Count(t => t == EventTopics.TaskExit) == 2, "two TaskExit events");
    }

    [Fact]
    public async Task A_dead_vm_reports_its_processes_killed_even_when_no_guest_wait_ever_returns()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Create", h.CreateRequest("c2"), CreateTaskResponse.Parser);
        await h.Call("Start", new StartRequest { Id = "c1" }, StartResponse.Parser);
        await h.Call("Exec", ExecRequest("c1", "e1"), Empty.Parser);
        await h.Call("Start", new StartRequest { Id = "c1", ExecId = "e1" }, StartResponse.Parser);
        var waits = new[] { ("c1", ""), ("c1", "e1"), ("c2", "") }
            .Select(p => h.Call("Wait", new WaitRequest { Id = p.Item1, ExecId = p.Item2 }, WaitResponse.Parser)).ToList();

        h.Backend.CrashLeavingWaitsPending();

        var exits = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.All(exits, e => Assert.Equal(ExitStatus.Killed, e.ExitStatus));
        await Eventually.TrueAsync(() => h.Events.Topics.Count(t => t == EventTopics.TaskExit) == 3, "three TaskExit events");
        // The exec's exit is published before its init's, as on an ordinary exit.
        var exitIds = h.Events.Events.Where(e => e.Topic == EventTopics.TaskExit).Select(e => ((TaskExit)e.Message).Id).ToList();
        Assert.True(exitIds.IndexOf("e1") < exitIds.IndexOf("c1"), $"exit order: {string.Join(", ", exitIds)}");

        // A guest operation on the dead VM is refused, naming its state, without reaching the backend.
        var stats = await h.CallFails("Stats", new StatsRequest { Id = "c2" }, StatsResponse.Parser);
        Assert.Equal(TtrpcStatusCode.Unavailable, stats.Code);
        Assert.Contains("sandbox sb1: the VM is", stats.Message);

        // containerd can then delete everything and shut the shim down; the guest had nothing left to remove.
        await h.Call("Delete", new DeleteRequest { Id = "c1", ExecId = "e1" }, DeleteResponse.Parser);
        await h.Call("Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser);
        await h.Call("Delete", new DeleteRequest { Id = "c2" }, DeleteResponse.Parser);
        await h.Call("Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser);
        Assert.True(h.ExitRequested);
        Assert.DoesNotContain(h.Backend.Calls, c => c.StartsWith("remove", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Shutdown_keeps_the_shim_while_containers_remain()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser);
        Assert.False(h.ExitRequested);
        Assert.False(h.Backend.Stopped);
        Assert.NotNull(h.Store.Load("sb1"));
    }

    [Fact]
    public async Task Containers_of_one_pod_share_the_vm_and_their_image_layers()
    {
        await using var h = TaskHarness.Start();
        await h.Call("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        await h.Call("Create", h.CreateRequest("c2"), CreateTaskResponse.Parser);
        Assert.Equal(1, h.Backend.BootCount);
        Assert.Equal(1, h.LayerCache.BuildCount); // the second container's layer came from the cache
        Assert.Single(h.Backend.AttachedLayers);
        Assert.Equal(h.Backend.Containers["c1"].Layers, h.Backend.Containers["c2"].Layers);
        Assert.Equal(["c1", "c2"], h.Store.Load("sb1")!.Containers.Select(c => c.Id).Order());

        await h.Call("Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser);
        Assert.Single(h.Backend.AttachedLayers); // still used by c2
        Assert.False(h.Backend.Stopped);
        await h.Call("Delete", new DeleteRequest { Id = "c2" }, DeleteResponse.Parser);
        Assert.Empty(h.Backend.AttachedLayers);
        Assert.True(h.Backend.Stopped); // the last container took the VM with it
    }

    [Fact]
    public async Task A_missing_guest_kernel_fails_create_with_a_message_naming_the_key()
    {
        await using var h = TaskHarness.Start("""
            [hypervisor.katasharp]
            kernel = "/nonexistent/vmlinux"
            initrd = "/nonexistent/initrd"
            """);
        var error = await h.CallFails("Create", h.CreateRequest("c1"), CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.Code);
        Assert.Contains("hypervisor.katasharp.kernel = \"/nonexistent/vmlinux\": no such file", error.Message);
        Assert.Contains("hypervisor.katasharp.initrd", error.Message);
        Assert.Equal(0, h.Backend.BootCount);
        Assert.Empty(h.Events.Topics);
    }

    [Fact]
    public async Task Bind_mounted_small_files_are_handed_over_for_copying_in()
    {
        await using var h = TaskHarness.Start();
        string hosts = h.Path("hosts");
        File.WriteAllText(hosts, "127.0.0.1 localhost\n");
        var request = h.CreateRequest("c1");
        File.WriteAllText(System.IO.Path.Combine(request.Bundle, "config.json"),
            $$"""{"ociVersion":"1.0.2","mounts":[{"destination":"/etc/hosts","type":"bind","source":"{{hosts}}","options":["rbind","ro"]},{"destination":"/proc","type":"proc","source":"proc"}]}""");
        await h.Call("Create", request, CreateTaskResponse.Parser);
        var file = Assert.Single(h.Backend.Containers["c1"].Files);
        Assert.Equal("/etc/hosts", file.Destination);
        Assert.True(file.ReadOnly);
        Assert.Equal("127.0.0.1 localhost\n", System.Text.Encoding.UTF8.GetString(file.Content));
    }

    private static ExecProcessRequest ExecRequest(string id, string execId) => new()
    {
        Id = id,
        ExecId = execId,
        Spec = new Any { TypeUrl = KataSharp.Runtime.Containerd.TypeUrls.OciProcess, Value = Google.Protobuf.ByteString.CopyFromUtf8("""{"args":["ls"]}""") },
    };
}
