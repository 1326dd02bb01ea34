using System.Text.Json;
using KataSharp.Runtime.Telemetry;
using KataSharp.Vmm.Metrics;

namespace KataSharp.Confinement;

/// <summary>
/// What the shim keeps of a VMM's "metrics" reply. The VMM may be compromised, so its answer is data to check, not text to
/// pass on: only the names <see cref="VmMetrics.Help"/> lists, only the label names the VMM uses with values of
/// <c>[a-z0-9_]{1,32}</c>, at most <see cref="MaxLabels"/> labels and <see cref="MaxSeries"/> series, values that are finite
/// non-negative JSON numbers. Every entry that fails is dropped and counted (katasharp_vmm_metrics_rejected_total), so an
/// attacker can neither inject series or text into the exposition nor grow it without bound.
/// </summary>
public static class VmmMetricsFilter
{
    /// <summary>Far above a real VM's (11 exit kinds per vCPU, 7 series per disk): room for 32 vCPUs and 16 slots.</summary>
    public const int MaxSeries = 1024;

    public const int MaxLabels = 2;

    public const int MaxLabelValueLength = 32;

    private static readonly HashSet<string> LabelNames = new(StringComparer.Ordinal) { "vcpu", "kind", "device", "op", "direction" };

    public static IReadOnlyList<MetricSample> Accept(JsonElement? answer, out int rejected)
    {
        rejected = 0;
        var samples = new List<MetricSample>();
        if (answer is not { ValueKind: JsonValueKind.Array } array)
        {
            rejected = answer is null ? 0 : 1;
            return samples;
        }
        foreach (JsonElement entry in array.EnumerateArray())
        {
            if (samples.Count == MaxSeries || Checked(entry) is not { } sample)
            {
                rejected++;
                continue;
            }
            samples.Add(sample);
        }
        return samples;
    }

    private static MetricSample? Checked(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String
            || name.GetString() is not { } metric || !VmMetrics.Help.ContainsKey(metric)
            || !entry.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.Number
            || !value.TryGetDouble(out double number) || !double.IsFinite(number) || number < 0)
        {
            return null;
        }
        var labels = new List<KeyValuePair<string, string>>();
        if (entry.TryGetProperty("labels", out JsonElement labelObject))
        {
            if (labelObject.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            foreach (JsonProperty label in labelObject.EnumerateObject())
            {
                if (labels.Count == MaxLabels || !LabelNames.Contains(label.Name) || labels.Any(l => l.Key == label.Name)
                    || label.Value.ValueKind != JsonValueKind.String || label.Value.GetString() is not { } text || !IsLabelValue(text))
                {
                    return null;
                }
                labels.Add(new(label.Name, text));
            }
        }
        return new MetricSample(metric, labels, number);
    }

    /// <summary><c>[a-z0-9_]{1,32}</c>: nothing to escape, nothing long.</summary>
    public static bool IsLabelValue(string text) =>
        text.Length is > 0 and <= MaxLabelValueLength && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');
}
