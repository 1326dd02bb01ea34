using Tomlyn.Model;

namespace KataSharp.Runtime.Configuration;

/// <summary>
/// Reads the keys of one TOML table with defaults, records a problem (with the full dotted key)
/// for every wrong type or missing required key, and afterwards reports every key nobody asked for.
/// </summary>
internal sealed class TomlSectionReader
{
    private readonly TomlTable _table;
    private readonly string _path;
    private readonly List<string> _problems;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public TomlSectionReader(TomlTable? table, string path, List<string> problems)
    {
        _table = table ?? new TomlTable();
        _path = path;
        _problems = problems;
    }

    public string Key(string name) => $"{_path}.{name}";

    /// <summary>Records a problem found by the caller's own checks (e.g. a relative path).</summary>
    public void Problem(string text) => _problems.Add(text);

    public string String(string name, string fallback) => Read(name, fallback, "a string", v => v as string);

    public string RequiredString(string name, string hint)
    {
        _known.Add(name);
        if (!_table.TryGetValue(name, out object? value))
        {
            _problems.Add($"{Key(name)} is required: {hint}");
            return "";
        }
        if (value is not string text)
        {
            _problems.Add($"{Key(name)} must be a string, got {Describe(value)}");
            return "";
        }
        return text;
    }

    public bool Bool(string name, bool fallback) => Read(name, fallback, "true or false", v => v is bool b ? b : null);

    public int Int(string name, int fallback, int min, int max)
    {
        int value = Read(name, fallback, "an integer", v => v is long l && l is >= int.MinValue and <= int.MaxValue ? (int)l : null);
        if (value < min || value > max)
        {
            _problems.Add($"{Key(name)} = {value} is out of range: it must be between {min} and {max}");
            return fallback;
        }
        return value;
    }

    /// <summary>Call after reading every known key: each remaining key is a problem that names it.</summary>
    public void RejectUnknownKeys(IEnumerable<string>? subTables = null)
    {
        var allowed = new HashSet<string>(_known, StringComparer.Ordinal);
        allowed.UnionWith(subTables ?? []);
        foreach (string key in _table.Keys)
        {
            if (!allowed.Contains(key))
            {
                _problems.Add($"unknown key {Key(key)} (known keys in [{_path}]: {string.Join(", ", _known.Order(StringComparer.Ordinal))})");
            }
        }
    }

    private T Read<T>(string name, T fallback, string expected, Func<object, object?> convert)
    {
        _known.Add(name);
        if (!_table.TryGetValue(name, out object? value))
        {
            return fallback;
        }
        if (convert(value) is not T converted)
        {
            _problems.Add($"{Key(name)} must be {expected}, got {Describe(value)}");
            return fallback;
        }
        return converted;
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"the string \"{s}\"",
        long l => $"the integer {l}",
        bool b => b ? "true" : "false",
        double d => $"the number {d}",
        TomlTable => "a table",
        TomlArray => "an array",
        _ => value.GetType().Name,
    };
}
