using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Events;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Tasks;
using KataSharp.Runtime.Ttrpc;
using KataSharp.Runtime.Ttrpc.Wire;
using Xunit;

namespace KataSharp.Runtime.Tests.Protocol;

/// <summary>Our messages against bytes encoded by hand from the upstream field tables.</summary>
public class WireBytesTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static byte[] Text(string text) => System.Text.Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Delete_response_matches_the_bytes_containerd_parses_from_shim_delete()
    {
        var response = new DeleteResponse { ExitStatus = 137, ExitedAt = new Timestamp { Seconds = 1_700_000_000 } };
        Assert.Equal(Hex("10 89 01 1a 06 08 80 e2 cf aa 06"), response.ToByteArray());
    }

    [Fact]
    public void Connect_request_envelope_matches_the_worked_example()
    {
        var request = new Request
        {
            Service = "containerd.task.v2.Task",
            Method = "Connect",
            Payload = new ConnectRequest { Id = "abc" }.ToByteString(),
        };
        request.Metadata.Add(new KeyValue { Key = "containerd-namespace-ttrpc", Value = "default" });
        byte[] expected =
        [
            0x0a, 0x17, .. Text("containerd.task.v2.Task"),
            0x12, 0x07, .. Text("Connect"),
            0x1a, 0x05, 0x0a, 0x03, .. Text("abc"),
            0x2a, 0x25, 0x0a, 0x1a, .. Text("containerd-namespace-ttrpc"), 0x12, 0x07, .. Text("default"),
        ];
        Assert.Equal(0x50, expected.Length);
        Assert.Equal(expected, request.ToByteArray());
    }

    [Fact]
    public void Connect_response_payload_and_not_found_status_match_the_worked_example()
    {
        Assert.Equal(Hex("08 92 21 10 93 21"), new ConnectResponse { ShimPid = 4242, TaskPid = 4243 }.ToByteArray());
        var error = new Response { Status = new KataSharp.Runtime.Ttrpc.Wire.Status { Code = (int)TtrpcStatusCode.NotFound, Message = "container not created: not found" } };
        Assert.Equal([0x0a, 0x24, 0x08, 0x05, 0x12, 0x20, .. Text("container not created: not found")], error.ToByteArray());
    }

    [Fact]
    public void Create_task_request_decodes_from_hand_encoded_fields()
    {
        byte[] options = [0x0a, 0x00, 0x12, 0x0c, .. Text("/etc/ks.toml")]; // runtimeoptions.v1.Options{type_url="", config_path}
        byte[] mount =
        [
            0x0a, 0x07, .. Text("overlay"),
            0x12, 0x07, .. Text("overlay"),
            0x22, 0x0b, .. Text("lowerdir=/a"),
            0x22, 0x0b, .. Text("upperdir=/u"),
        ];
        byte[] any = [0x0a, 0x19, .. Text("runtimeoptions.v1.Options"), 0x12, (byte)options.Length, .. options];
        byte[] bytes =
        [
            0x0a, 0x02, .. Text("c1"),                // 1 id
            0x12, 0x04, .. Text("/b/1"),              // 2 bundle
            0x1a, (byte)mount.Length, .. mount,       // 3 rootfs
            0x20, 0x01,                               // 4 terminal
            0x2a, 0x03, .. Text("/in"),               // 5 stdin
            0x32, 0x04, .. Text("/out"),              // 6 stdout
            0x3a, 0x04, .. Text("/err"),              // 7 stderr
            0x52, (byte)any.Length, .. any,           // 10 options
        ];
        var request = CreateTaskRequest.Parser.ParseFrom(bytes);
        Assert.Equal("c1", request.Id);
        Assert.Equal("/b/1", request.Bundle);
        Assert.True(request.Terminal);
        Assert.Equal(["lowerdir=/a", "upperdir=/u"], request.Rootfs.Single().Options);

        CreateTaskCommand command = TaskTranslation.ToCommand(request);
        Assert.Equal("/in", command.Stdio.Stdin);
        Assert.Equal("/out", command.Stdio.Stdout);
        Assert.Null(command.Stdio.Stderr); // a terminal merges stderr into stdout
        Assert.Equal("/etc/ks.toml", command.ConfigPath);
        Assert.Equal("overlay", command.Rootfs.Single().Type);
    }

    [Fact]
    public void State_response_uses_the_task_status_enum_numbers()
    {
        var view = new ProcessView(new ProcessKey("c1", "e1"), "/b", 7, ProcessState.Paused, ProcessStdio.None,
            new ExitStatus(3, DateTimeOffset.FromUnixTimeSeconds(10)));
        byte[] bytes = TaskTranslation.ToResponse(view).ToByteArray();
        var parsed = StateResponse.Parser.ParseFrom(bytes);
        Assert.Equal(4, (int)parsed.Status); // PAUSED = 4
        Assert.Equal("e1", parsed.ExecId);
        Assert.Equal(10, parsed.ExitedAt.Seconds);
        Assert.Contains(new byte[] { 0x20, 0x04 }, Pairs(bytes)); // field 4 varint 4
    }

    [Fact]
    public void Event_payloads_carry_bare_type_names_for_containerd_1_6()
    {
        var exit = TaskEvents.Exit(new ProcessKey("c1", null), 9, new ExitStatus(137, DateTimeOffset.UnixEpoch));
        Any any = TypeUrls.Pack(exit.Message);
        Assert.Equal("containerd.events.TaskExit", any.TypeUrl);
        var decoded = TaskExit.Parser.ParseFrom(any.Value);
        Assert.Equal("c1", decoded.Id); // init: TaskExit.id is the container id
        Assert.Equal(137u, decoded.ExitStatus);
        Assert.Equal("/tasks/exit", exit.Topic);
    }

    [Fact]
    public void Exec_exit_event_names_the_exec()
    {
        var exit = TaskEvents.Exit(new ProcessKey("c1", "probe"), 9, new ExitStatus(0, DateTimeOffset.UnixEpoch));
        Assert.Equal("probe", ((TaskExit)exit.Message).Id);
    }

    [Fact]
    public void Stats_are_cgroup_v2_metrics_under_their_containerd_type_name()
    {
        var stats = new ContainerStats(1500, 1000, 500, 8 << 20, 256 << 20, 6 << 20, 2 << 20, 1 << 20, 42, 3, 2, 100);
        Any any = TaskTranslation.ToStatsResponse(stats).Stats;
        Assert.Equal("io.containerd.cgroups.v2.Metrics", any.TypeUrl);
        var metrics = KataSharp.Runtime.Containerd.Wire.Cgroups.Metrics.Parser.ParseFrom(any.Value);
        Assert.Equal(1500ul, metrics.Cpu.UsageUsec);
        Assert.Equal(8ul << 20, metrics.Memory.Usage);
        Assert.Equal(2ul, metrics.Pids.Current);
        // MemoryStat.usage is field 32: tag (32 << 3 | 0) = 256 = varint 0x80 0x02.
        Assert.Contains(new byte[] { 0x80, 0x02 }, Pairs(metrics.Memory.ToByteArray()));
    }

    [Fact]
    public void Runtime_options_with_another_type_are_not_a_config_path()
    {
        var any = new Any { TypeUrl = "containerd.runc.v1.Options", Value = ByteString.CopyFrom(0x12, 0x01, 0x41) };
        Assert.Null(TaskTranslation.ConfigPathOf(any));
        Assert.Null(TaskTranslation.ConfigPathOf(null));
    }

    private static IEnumerable<byte[]> Pairs(byte[] bytes) => bytes.Zip(bytes.Skip(1), (a, b) => new[] { a, b });
}
