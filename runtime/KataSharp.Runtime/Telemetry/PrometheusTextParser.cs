using System.Globalization;
using System.Text;

namespace KataSharp.Runtime.Telemetry;

/// <summary>
/// Reads back what <see cref="PrometheusTextWriter"/> wrote (a shim's answer, for `katasharp monitor` to relabel and merge):
/// HELP and TYPE comments and sample lines with quoted, escaped label values. A line it does not understand is skipped and
/// counted; a sample before its family's TYPE gets a gauge family of its own name.
/// </summary>
public static class PrometheusTextParser
{
    public static IReadOnlyList<MetricFamily> Parse(string text, out int skipped)
    {
        skipped = 0;
        var order = new List<string>();
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var kinds = new Dictionary<string, MetricKind>(StringComparer.Ordinal);
        var series = new Dictionary<string, List<MetricSeries>>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) && Split(line["# HELP ".Length..]) is var (helpName, helpText))
            {
                Family(helpName);
                help[helpName] = UnescapeHelp(helpText);
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal) && Split(line["# TYPE ".Length..]) is var (typeName, type) && type is "counter" or "gauge")
            {
                Family(typeName);
                kinds[typeName] = type == "counter" ? MetricKind.Counter : MetricKind.Gauge;
            }
            else if (line.StartsWith('#'))
            {
                continue;
            }
            else if (TryParseSample(line, out string name, out MetricSeries? sample) && sample is not null)
            {
                Family(name);
                series[name].Add(sample);
            }
            else
            {
                skipped++;
            }
        }
        return [.. order.Select(name => new MetricFamily(name, help.GetValueOrDefault(name, name), kinds.GetValueOrDefault(name, MetricKind.Gauge), series[name]))];

        void Family(string name)
        {
            if (!series.ContainsKey(name))
            {
                series[name] = [];
                order.Add(name);
            }
        }
    }

    private static (string, string)? Split(string rest)
    {
        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        return space <= 0 ? null : (rest[..space], rest[(space + 1)..]);
    }

    internal static bool TryParseSample(string line, out string name, out MetricSeries? sample)
    {
        sample = null;
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }
        name = line[..i];
        if (i == 0)
        {
            return false;
        }
        var labels = new List<KeyValuePair<string, string>>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                int eq = line.IndexOf("=\"", i, StringComparison.Ordinal);
                if (eq < 0)
                {
                    return false;
                }
                string key = line[i..eq];
                i = eq + 2;
                var value = new StringBuilder();
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        value.Append(line[i + 1] == 'n' ? '\n' : line[i + 1]);
                        i += 2;
                    }
                    else
                    {
                        value.Append(line[i++]);
                    }
                }
                if (i >= line.Length)
                {
                    return false;
                }
                i++; // the closing quote
                labels.Add(new(key, value.ToString()));
                if (i < line.Length && line[i] == ',')
                {
                    i++;
                }
            }
            if (i >= line.Length)
            {
                return false;
            }
            i++; // '}'
        }
        if (i >= line.Length || line[i] != ' ')
        {
            return false;
        }
        string number = line[(i + 1)..].Split(' ')[0]; // a timestamp may follow; dropped
        double parsed;
        switch (number)
        {
            case "+Inf":
                parsed = double.PositiveInfinity;
                break;
            case "-Inf":
                parsed = double.NegativeInfinity;
                break;
            case "NaN":
                parsed = double.NaN;
                break;
            default:
                if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed))
                {
                    return false;
                }
                break;
        }
        sample = new MetricSeries(labels, parsed);
        return true;
    }

    private static string UnescapeHelp(string text)
    {
        var value = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is 'n' or '\\')
            {
                value.Append(text[i + 1] == 'n' ? '\n' : text[i + 1]);
                i++;
            }
            else
            {
                value.Append(text[i]);
            }
        }
        return value.ToString();
    }
}
