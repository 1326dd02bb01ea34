using System.Text.Json;
using KataSharp.Confinement;
using KataSharp.Runtime.Telemetry;
using KataSharp.Vmm.Metrics;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>A compromised VMM's "metrics" reply: only known names, checked labels, bounded series and numbers get through.</summary>
public class VmmMetricsFilterTests
{
    private static IReadOnlyList<MetricSample> Accept(string json, out int rejected) =>
        VmmMetricsFilter.Accept(JsonDocument.Parse(json).RootElement.Clone(), out rejected);

    [Fact]
    public void A_well_formed_answer_is_kept_whole()
    {
        var samples = Accept("""[{"name":"block_requests","labels":{"device":"layer0","op":"read"},"value":12},{"name":"vsock_connections","labels":{},"value":3}]""",
            out int rejected);
        Assert.Equal(0, rejected);
        Assert.Equal(2, samples.Count);
        Assert.Equal([new KeyValuePair<string, string>("device", "layer0"), new("op", "read")], samples[0].Labels);
        Assert.Equal(12, samples[0].Value);
        Assert.Equal(3, samples[1].Value);
    }

    [Theory]
    [InlineData("""{"name":"made_up","value":1}""")]
    [InlineData("""{"name":"block_requests\n# HELP x","value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"device":"Layer0"},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"device":"a\"} 1\nevil{x=\""},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"device":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"device":""},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"sandbox_id":"other"},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"device":"a","op":"read","kind":"x"},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":{"device":1},"value":1}""")]
    [InlineData("""{"name":"block_requests","labels":["device"],"value":1}""")]
    [InlineData("""{"name":"block_requests","value":"12"}""")]
    [InlineData("""{"name":"block_requests","value":-1}""")]
    [InlineData("""{"name":"block_requests","value":1e400}""")]
    [InlineData("""{"name":"block_requests"}""")]
    [InlineData("""{"name":7,"value":1}""")]
    [InlineData("\"block_requests 1\"")]
    public void A_bad_entry_is_dropped_and_counted_and_its_neighbours_kept(string bad)
    {
        var samples = Accept($$"""[{"name":"rng_requests","value":1},{{bad}},{"name":"rng_bytes","value":2}]""", out int rejected);
        Assert.Equal(1, rejected);
        Assert.Equal(["rng_requests", "rng_bytes"], samples.Select(s => s.Name));
    }

    [Fact]
    public void Series_past_the_bound_are_dropped_and_counted()
    {
        string entries = string.Join(',', Enumerable.Repeat("""{"name":"rng_requests","value":1}""", VmmMetricsFilter.MaxSeries + 5));
        var samples = Accept($"[{entries}]", out int rejected);
        Assert.Equal(VmmMetricsFilter.MaxSeries, samples.Count);
        Assert.Equal(5, rejected);
    }

    [Fact]
    public void An_answer_that_is_not_a_list_counts_once_and_no_answer_not_at_all()
    {
        Assert.Empty(Accept("""{"name":"rng_requests","value":1}""", out int rejected));
        Assert.Equal(1, rejected);
        Assert.Empty(VmmMetricsFilter.Accept(null, out rejected));
        Assert.Equal(0, rejected);
    }

    [Fact]
    public void What_a_real_vmm_sends_for_its_exit_kinds_passes_the_label_check()
    {
        // The label values the VMM makes from VcpuExitKind names must survive the shim's pattern, or vCPU exits vanish.
        foreach (var kind in Enum.GetNames<KataSharp.Vmm.Kvm.VcpuExitKind>())
        {
            string snake = string.Concat(kind.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
            Assert.True(VmmMetricsFilter.IsLabelValue(snake), snake);
        }
        Assert.All(VmMetrics.Help.Keys, name => Assert.Matches("^[a-z_]+$", name));
    }
}
