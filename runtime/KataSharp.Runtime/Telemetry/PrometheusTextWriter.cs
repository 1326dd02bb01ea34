using System.Globalization;
using System.Text;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// The Prometheus text exposition format (version 0.0.4), written by hand (why not prometheus-net: runtime/README.md,
/// "Metrics"). Per family `# HELP name text` (backslash and newline escaped), `# TYPE name counter|gauge`,
/// then `name{label="value",…} number`, label values with backslash, double quote and newline escaped; numbers in the
/// invariant culture with +Inf, -Inf and NaN spelled as Prometheus reads them.
/// </summary>
public static class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IEnumerable<MetricFamily> families)
    {
        var text = new StringBuilder();
        foreach (MetricFamily family in families)
        {
            text.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Kind == MetricKind.Counter ? "counter" : "gauge").Append('\n');
            foreach (MetricSeries series in family.Series)
            {
                text.Append(family.Name);
                if (series.Labels.Count > 0)
                {
                    text.Append('{');
                    for (int i = 0; i < series.Labels.Count; i++)
                    {
                        text.Append(i == 0 ? "" : ",").Append(series.Labels[i].Key).Append("=\"").Append(EscapeLabelValue(series.Labels[i].Value)).Append('"');
                    }
                    text.Append('}');
                }
                text.Append(' ').Append(Number(series.Value)).Append('\n');
            }
        }
        return text.ToString();
    }

    public static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
