namespace KataSharp.CriProbe.Cli;

/// <summary>
/// A verb's arguments: `--flag value` options (repeatable), positional words, and everything
/// after `--` as a command line. Flags are looked up by name; a flag nobody asked for is an error.
/// </summary>
internal sealed class ProbeArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private ProbeArguments(List<string> positional, List<string> command)
    {
        Positional = positional;
        Command = command;
    }

    public IReadOnlyList<string> Positional { get; }

    /// <summary>The words after `--`.</summary>
    public IReadOnlyList<string> Command { get; }

    public static ProbeArguments Parse(IEnumerable<string> args)
    {
        var positional = new List<string>();
        var command = new List<string>();
        var parsed = new ProbeArguments(positional, command);
        using IEnumerator<string> e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (arg == "--")
            {
                while (e.MoveNext())
                {
                    command.Add(e.Current);
                }
                break;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string name = arg[2..];
                if (!e.MoveNext())
                {
                    throw new ProbeException($"{arg} needs a value");
                }
                if (!parsed._options.TryGetValue(name, out List<string>? values))
                {
                    parsed._options[name] = values = [];
                }
                values.Add(e.Current);
                continue;
            }
            positional.Add(arg);
        }
        return parsed;
    }

    public string? Optional(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out List<string>? values) ? values[^1] : null;
    }

    public string Required(string name) => Optional(name) ?? throw new ProbeException($"--{name} is required");

    public long Number(string name, long fallback)
    {
        string? text = Optional(name);
        return text is null ? fallback
            : long.TryParse(text, out long value) ? value : throw new ProbeException($"--{name} '{text}' is not a number");
    }

    /// <summary>A number that may be absent (absent and 0 differ, as for a uid).</summary>
    public long? OptionalNumber(string name)
    {
        string? text = Optional(name);
        return text is null ? null
            : long.TryParse(text, out long value) ? value : throw new ProbeException($"--{name} '{text}' is not a number");
    }

    /// <summary>Every value of a repeatable numeric option.</summary>
    public IReadOnlyList<long> Numbers(string name) =>
        All(name).Select(text => long.TryParse(text, out long value) ? value : throw new ProbeException($"--{name} '{text}' is not a number")).ToArray();

    public bool Boolean(string name) => Optional(name) switch
    {
        null or "false" => false,
        "true" => true,
        string other => throw new ProbeException($"--{name} '{other}' is not true or false"),
    };

    public IReadOnlyList<string> All(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out List<string>? values) ? values : [];
    }

    /// <summary>key=value pairs of a repeatable option.</summary>
    public Dictionary<string, string> Pairs(string name)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string item in All(name))
        {
            int eq = item.IndexOf('=');
            if (eq <= 0)
            {
                throw new ProbeException($"--{name} '{item}' must be key=value");
            }
            pairs[item[..eq]] = item[(eq + 1)..];
        }
        return pairs;
    }

    /// <summary>The one positional word a verb takes (an id).</summary>
    public string Single(string what) => Positional.Count == 1 ? Positional[0]
        : throw new ProbeException($"expected exactly one {what}, got {Positional.Count} ({string.Join(' ', Positional)})");

    /// <summary>Rejects flags the verb did not read (a typo must not be ignored).</summary>
    public void EnsureAllUsed()
    {
        string[] unknown = _options.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ProbeException($"unknown option(s) for this verb: {string.Join(", ", unknown.Select(k => "--" + k))}");
        }
    }
}
