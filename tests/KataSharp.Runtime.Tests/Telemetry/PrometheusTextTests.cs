using KataSharp.Runtime.Telemetry;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>The Prometheus text exposition format as written and read back (the monitor re-reads the shims' answers).</summary>
public class PrometheusTextTests
{
    [Fact]
    public void Each_family_has_help_and_type_then_its_series()
    {
        string text = PrometheusTextWriter.Write(
        [
            new MetricFamily("a_total", "counts a", MetricKind.Counter, [new([new("device", "layer0"), new("op", "read")], 3), new([], 4.5)]),
            new MetricFamily("b", "gauge b", MetricKind.Gauge, []),
        ]);
        Assert.Equal("# HELP a_total counts a\n# TYPE a_total counter\na_total{device=\"layer0\",op=\"read\"} 3\na_total 4.5\n" +
            "# HELP b gauge b\n# TYPE b gauge\n", text);
    }

    [Fact]
    public void Help_and_label_values_are_escaped_and_special_numbers_spelled_as_prometheus_reads_them()
    {
        string text = PrometheusTextWriter.Write(
        [
            new MetricFamily("m", "back\\slash\nnewline \"quotes\" stay", MetricKind.Gauge,
            [
                new([new("l", "a\"b\\c\nd")], double.PositiveInfinity),
                new([new("l", "x")], double.NegativeInfinity),
                new([new("l", "y")], double.NaN),
                new([new("l", "z")], 1e21),
            ]),
        ]);
        Assert.Contains("# HELP m back\\\\slash\\nnewline \"quotes\" stay\n", text);
        Assert.Contains("m{l=\"a\\\"b\\\\c\\nd\"} +Inf\n", text);
        Assert.Contains("m{l=\"x\"} -Inf\n", text);
        Assert.Contains("m{l=\"y\"} NaN\n", text);
        Assert.Contains("m{l=\"z\"} 1E+21\n", text);
    }

    [Fact]
    public void What_is_written_reads_back_the_same()
    {
        MetricFamily[] families =
        [
            new("a_total", "counts\na \\ thing", MetricKind.Counter, [new([new("k", "v \"q\" \\ \n"), new("j", "w")], 7)]),
            new("g", "a gauge", MetricKind.Gauge, [new([], -1.25), new([new("k", "z")], double.PositiveInfinity)]),
        ];
        string text = PrometheusTextWriter.Write(families);
        IReadOnlyList<MetricFamily> read = PrometheusTextParser.Parse(text, out int skipped);
        Assert.Equal(0, skipped);
        Assert.Equal(text, PrometheusTextWriter.Write(read));
        Assert.Equal("v \"q\" \\ \n", read[0].Series[0].Labels[0].Value);
        Assert.Equal(MetricKind.Counter, read[0].Kind);
    }

    [Fact]
    public void Lines_that_are_not_samples_are_skipped_and_counted()
    {
        IReadOnlyList<MetricFamily> read = PrometheusTextParser.Parse("# TYPE a gauge\na 1\n{x=\"1\"} 2\na{x=\"1 2\na nope\nb{x=\"1\"} 3\n", out int skipped);
        Assert.Equal(3, skipped);
        Assert.Equal(["a", "b"], read.Select(f => f.Name));
        Assert.Equal(1, read[0].Series.Single().Value);
        Assert.Equal(3, read[1].Series.Single().Value);
    }
}
