using System.Text;
using System.Text.Json;
using Grpc.Core;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Oci;
using KataSharp.Shim.Backend;
using KataSharp.Shim.Backend.Agent;
using Xunit;

namespace KataSharp.Runtime.Tests.Backend;

/// <summary>The VM backend's pieces that need no VM: spec rewriting, command line, error and stats translation, console lines.</summary>
public sealed class BackendPieceTests
{
    [Fact]
    public void GuestSpec_PointsCopiedBindMountsAtTheirGuestCopies_AndLeavesOtherMountsAlone()
    {
        const string spec = """
            {"ociVersion":"1.0.2","process":{"args":["sh"]},"mounts":[
              {"destination":"/proc","type":"proc","source":"proc"},
              {"destination":"/etc/hosts","type":"bind","source":"/var/lib/x/hosts","options":["rbind","ro"]},
              {"destination":"/etc/resolv.conf","source":"/var/lib/x/resolv.conf","options":["bind"]},
              {"destination":"/data","type":"bind","source":"/host/data","options":["rbind"]}]}
            """;
        string rewritten = GuestSpec.ForAgent(Specs.Parse(spec), new Dictionary<string, string>
        {
            ["/etc/hosts"] = "/run/katasharp/shared/containers/c1/0-hosts",
            ["/etc/resolv.conf"] = "/run/katasharp/shared/containers/c1/1-resolv.conf",
        });
        using var doc = JsonDocument.Parse(rewritten);
        var sources = doc.RootElement.GetProperty("mounts").EnumerateArray()
            .ToDictionary(m => m.GetProperty("destination").GetString()!, m => m.GetProperty("source").GetString());
        Assert.Equal("proc", sources["/proc"]);
        Assert.Equal("/run/katasharp/shared/containers/c1/0-hosts", sources["/etc/hosts"]);
        Assert.Equal("/run/katasharp/shared/containers/c1/1-resolv.conf", sources["/etc/resolv.conf"]);
        Assert.Equal("/host/data", sources["/data"]);
        Assert.Equal("sh", doc.RootElement.GetProperty("process").GetProperty("args")[0].GetString());
    }

    [Fact]
    public void GuestSpec_WithoutFiles_IsTheSpecUnchanged_AndCopyPathsAreSafe()
    {
        const string spec = """{"mounts": [ {"destination":"/etc/hosts","type":"bind","source":"/h/hosts","options":["rbind","rprivate"]} ] , "x":1}""";
        Specs.AssertUntouched(spec, Specs.Parse(GuestSpec.ForAgent(Specs.Parse(spec), new Dictionary<string, string>())));
        Assert.Equal("containers/c1/0-hosts", GuestSpec.CopyPath("c1", 0, new ContainerFile("/etc/hosts", [], true)));
        Assert.Equal("containers/c1/2-a_b", GuestSpec.CopyPath("c1", 2, new ContainerFile("/x/a b/", [], false)));
        Assert.Equal("containers/c1/3-file", GuestSpec.CopyPath("c1", 3, new ContainerFile("/", [], false)));
    }

    [Theory]
    [InlineData(false, LogSeverity.Info, "", "console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 quiet katasharp.log=info")]
    [InlineData(true, LogSeverity.Info, "", "console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 katasharp.log=debug")]
    [InlineData(false, LogSeverity.Info, " loglevel=7 ", "console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 quiet katasharp.log=info loglevel=7")]
    [InlineData(false, LogSeverity.Debug, "", "console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 quiet katasharp.log=debug")]
    [InlineData(false, LogSeverity.Warning, "", "console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 quiet katasharp.log=warn")]
    [InlineData(true, LogSeverity.Error, "", "console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 katasharp.log=debug")]
    public void KernelCmdline_ConsoleRebootPanic_DebugAndAdminParamsLast(bool debug, LogSeverity logLevel, string extra, string expected)
    {
        var configuration = new RuntimeConfiguration(
            new HypervisorSettings("/k", "/i", 1, 256, extra, 60, 8), new AgentSettings(5, 30, 60, 10, 60),
            new RuntimeSettings("/cache", debug, 5, LogLevel: logLevel), "/etc/katasharp/configuration.toml");
        Assert.Equal(expected, GuestKernelCmdline.For(configuration));
    }

    [Fact]
    public void KernelCmdline_HasTheDebugConsoleWord_OnlyWithDebugConsoleOn_AndDebugDoesNotTurnItOn()
    {
        RuntimeConfiguration With(bool debug, bool debugConsole) => new(
            new HypervisorSettings("/k", "/i", 1, 256, "", 60, 8), new AgentSettings(5, 30, 60, 10, 60),
            new RuntimeSettings("/cache", debug, 5, DebugConsole: debugConsole), "/etc/katasharp/configuration.toml");
        Assert.Equal("console=ttyS0 reboot=k panic=-1 virtio_net.napi_tx=0 sysctl.net.ipv4.tcp_min_tso_segs=44 quiet katasharp.log=info katasharp.debug_console",
            GuestKernelCmdline.For(With(debug: false, debugConsole: true)));
        Assert.DoesNotContain("debug_console", GuestKernelCmdline.For(With(debug: true, debugConsole: false)));
        Assert.DoesNotContain("debug_console", GuestKernelCmdline.For(With(debug: false, debugConsole: false)));
    }

    [Theory]
    [InlineData(StatusCode.NotFound, RuntimeError.NotFound)]
    [InlineData(StatusCode.AlreadyExists, RuntimeError.AlreadyExists)]
    [InlineData(StatusCode.FailedPrecondition, RuntimeError.FailedPrecondition)]
    [InlineData(StatusCode.InvalidArgument, RuntimeError.InvalidArgument)]
    [InlineData(StatusCode.Unimplemented, RuntimeError.NotImplemented)]
    [InlineData(StatusCode.DeadlineExceeded, RuntimeError.DeadlineExceeded)]
    [InlineData(StatusCode.Unavailable, RuntimeError.Unavailable)]
    [InlineData(StatusCode.Internal, RuntimeError.Internal)]
    [InlineData(StatusCode.Unknown, RuntimeError.Internal)]
    public void AgentErrors_KeepTheAgentsErrorClass(StatusCode code, RuntimeError expected)
    {
        var e = AgentErrors.Translate(new RpcException(new Status(code, "process.args: must not be empty")), "container c1: create");
        Assert.Equal(expected, e.Error);
        Assert.StartsWith("container c1: create: ", e.Message);
        Assert.Contains(code == StatusCode.Unavailable ? "unreachable" : "process.args: must not be empty", e.Message);
    }

    [Fact]
    public void AgentErrors_EscapeAndCapTheGuestsText()
    {
        string detail = "bad \u001b[2J\u001b[Hthing\nforged: line" + new string('z', 5000);
        var e = AgentErrors.Translate(new RpcException(new Status(StatusCode.InvalidArgument, detail)), "container c1: create");
        Assert.StartsWith("container c1: create: bad \\x1b[2J\\x1b[Hthing\\nforged: line", e.Message);
        Assert.DoesNotContain(e.Message, char.IsControl);
        Assert.InRange(e.Message.Length, AgentErrors.MaxDetailLength, AgentErrors.MaxDetailLength + 100);
    }

    [Fact]
    public void AgentStats_MapCgroupV2Numbers()
    {
        var stats = new KataSharp.Agent.Protocol.ContainerStats
        {
            Cpu = new KataSharp.Agent.Protocol.CpuStats { UsageUsec = 10, UserUsec = 7, SystemUsec = 3 },
            Memory = new KataSharp.Agent.Protocol.MemoryStats { UsageBytes = 4096, LimitBytes = 8192, Stat = { ["anon"] = 1, ["file"] = 2, ["inactive_file"] = 3, ["pgfault"] = 4, ["pgmajfault"] = 5 } },
            Pids = new KataSharp.Agent.Protocol.PidsStats { Current = 2, Limit = 100 },
        };
        Assert.Equal(new ContainerStats(10, 7, 3, 4096, 8192, 1, 2, 3, 4, 5, 2, 100), AgentStats.From(stats));
        Assert.Equal(new ContainerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), AgentStats.From(new KataSharp.Agent.Protocol.ContainerStats()));
    }

    [Fact]
    public void GuestConsole_BecomesOneLogLinePerConsoleLine_WithTheSandboxId()
    {
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        using (var console = new GuestConsoleLog(log))
        {
            console.Write(Encoding.ASCII.GetBytes("Linux version 6.12\r\nRun /init as init "));
            console.Write(Encoding.ASCII.GetBytes("process\npartial"));
        }
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("msg=\"guest console: Linux version 6.12\"", lines[0]);
        Assert.Contains("msg=\"guest console: Run /init as init process\"", lines[1]);
        Assert.Contains("msg=\"guest console: partial\"", lines[2]); // flushed at dispose
        Assert.All(lines, l => Assert.Contains("sandbox=\"pod-1\"", l));
    }

    [Fact]
    public void GuestConsole_DropsToDebug_OnceTheAgentLogStreamCarriesTheSameLines()
    {
        var output = new StringWriter();
        using var log = new RuntimeLog(output, debug: false, "pod-1");
        using (var console = new GuestConsoleLog(log))
        {
            console.Write(Encoding.ASCII.GetBytes("booting\n"));
            console.AgentLogConnected();
            console.Write(Encoding.ASCII.GetBytes("agent line\n"));
        }
        Assert.True(log.Flush(TimeSpan.FromSeconds(10)));
        Assert.Contains("guest console: booting", output.ToString());
        Assert.DoesNotContain("agent line", output.ToString());

        var debugOutput = new StringWriter();
        using var debugLog = new RuntimeLog(debugOutput, debug: true, "pod-1");
        using (var console = new GuestConsoleLog(debugLog))
        {
            console.AgentLogConnected();
            console.Write(Encoding.ASCII.GetBytes("agent line\n"));
        }
        Assert.True(debugLog.Flush(TimeSpan.FromSeconds(10)));
        Assert.Contains("level=debug msg=\"guest console: agent line\"", debugOutput.ToString());
    }
}
