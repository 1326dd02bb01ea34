using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Telemetry;
using KataSharp.Vmm.Metrics;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>One sandbox's Meter rendered: the VMM's checked counters, the shim's /proc numbers, drops, guest container stats.</summary>
public class SandboxMetricsTests
{
    private static readonly ContainerStats Stats = new(2_500_000, 0, 0, 4096, 8192, 0, 0, 0, 0, 0, 3, 0);

    private static SandboxMetrics Metrics(Func<CancellationToken, Task<VmmMetricsReport>> vmm, DropCounters drops, Func<string, CancellationToken, Task<ContainerStats>>? stats = null) =>
        new(new SandboxMetricsSources(vmm, VmMetrics.Help, () => ["c1"], stats ?? ((_, _) => Task.FromResult(Stats)), drops));

    [Fact]
    public async Task Every_source_is_in_the_text()
    {
        var drops = new DropCounters();
        drops.CountRateLimitedGuestLine();
        var report = new VmmMetricsReport([new MetricSample("block_requests", [new("device", "layer0"), new("op", "read")], 12)], 2, true, Environment.ProcessId);
        using var metrics = Metrics(_ => Task.FromResult(report), drops);

        string text = await metrics.RenderAsync(CancellationToken.None);

        Assert.Contains("# TYPE katasharp_vmm_block_requests_total counter\n", text);
        Assert.Contains("katasharp_vmm_block_requests_total{device=\"layer0\",op=\"read\"} 12\n", text);
        Assert.Contains("katasharp_vmm_metrics_rejected_total 2\n", text);
        Assert.Contains("katasharp_vmm_up 1\n", text);
        Assert.Contains("katasharp_shim_dropped_total{what=\"rate_limited_guest_lines\"} 1\n", text);
        Assert.Contains("katasharp_guest_container_cpu_seconds_total{container_id=\"c1\"} 2.5\n", text);
        Assert.Contains("katasharp_guest_container_memory_usage_bytes{container_id=\"c1\"} 4096\n", text);
        Assert.Contains("# TYPE katasharp_shim_resident_bytes gauge\n", text);
        Assert.Matches(@"\nkatasharp_shim_resident_bytes [1-9][0-9]*\n", text);
        Assert.Matches(@"\nkatasharp_shim_threads [1-9][0-9]*\n", text);
        Assert.Matches(@"\nkatasharp_shim_open_fds [1-9][0-9]*\n", text);
        Assert.Matches(@"\nkatasharp_vmm_process_resident_bytes [1-9][0-9]*\n", text);
    }

    [Fact]
    public async Task A_silent_vmm_and_agent_leave_their_series_out_within_the_bound()
    {
        var never = new TaskCompletionSource<VmmMetricsReport>();
        var neverStats = new TaskCompletionSource<ContainerStats>();
        using var metrics = Metrics(_ => never.Task, new DropCounters(), (_, _) => neverStats.Task);

        string text = await metrics.RenderAsync(CancellationToken.None).WaitAsync(SandboxMetrics.SourceTimeout * 4);

        Assert.Contains("katasharp_vmm_up 0\n", text);
        Assert.DoesNotContain("katasharp_vmm_block_requests_total{", text);
        Assert.DoesNotContain("container_id=", text);
        Assert.Contains("katasharp_guest_stats_failures_total 1\n", text);
    }
}
