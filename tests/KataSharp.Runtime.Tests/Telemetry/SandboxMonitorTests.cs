using System.Net;
using System.Net.Sockets;
using KataSharp.Cli.Commands;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Telemetry;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>`katasharp monitor`: every sandbox's metrics on one endpoint, labelled, a silent sandbox left out and counted.</summary>
public sealed class SandboxMonitorTests : IDisposable
{
    private const string ShimText =
        "# HELP katasharp_vmm_block_requests_total virtio-blk requests\n# TYPE katasharp_vmm_block_requests_total counter\n" +
        "katasharp_vmm_block_requests_total{device=\"layer0\",op=\"read\"} 3\n" +
        "katasharp_vmm_block_requests_total{sandbox_id=\"pod-b\",device=\"layer1\",op=\"read\"} 4\n";

    private readonly TempDirectory _root = new("ks-state");

    private SandboxStateStore Store => new(_root.Path);

    [Fact]
    public async Task One_answering_and_one_silent_sandbox()
    {
        await using var answering = FakeShimMetrics.Answering(Store, "pod-a", ShimText);
        await using var silent = FakeShimMetrics.Silent(Store, "pod-b");
        var monitor = new SandboxMonitor(Store, TimeSpan.FromMilliseconds(500));

        string text = await monitor.RenderAsync(CancellationToken.None);

        Assert.Contains("# TYPE katasharp_vmm_block_requests_total counter\n", text);
        Assert.Contains("katasharp_vmm_block_requests_total{sandbox_id=\"pod-a\",device=\"layer0\",op=\"read\"} 3\n", text);
        // A shim cannot speak for another sandbox: its own sandbox_id label is replaced.
        Assert.Contains("katasharp_vmm_block_requests_total{sandbox_id=\"pod-a\",device=\"layer1\",op=\"read\"} 4\n", text);
        Assert.DoesNotContain("pod-b", text);
        Assert.Contains("katasharp_monitor_scrapes_total 1\n", text);
        Assert.Contains("katasharp_monitor_sandbox_failures_total 1\n", text);
        Assert.Contains("katasharp_monitor_sandboxes 1\n", text);
    }

    [Fact]
    public async Task The_command_serves_it_over_http_until_stopped()
    {
        await using var answering = FakeShimMetrics.Answering(Store, "pod-a", ShimText);
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        int port = FreePort();
        Task<int> running = MonitorCommand.RunAsync(new IPEndPoint(IPAddress.Loopback, port), Store, TextWriter.Synchronized(output), stop.Token);
        await Eventually.TrueAsync(() => output.ToString().Contains("serving the metrics", StringComparison.Ordinal) || running.IsCompleted, "the monitor listening");
        string text = await MetricsHttpClient.GetAsync(new IPEndPoint(IPAddress.Loopback, port), TimeSpan.FromSeconds(10));
        Assert.Contains("katasharp_vmm_block_requests_total{sandbox_id=\"pod-a\",device=\"layer0\",op=\"read\"} 3\n", text);
        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public void Dispose() => _root.Dispose();
}
