namespace KataSharp.Shim.Verbs;

/// <summary>
/// The command line containerd gives a shim, parsed like Go's flag package (one or two dashes,
/// "-k v" or "-k=v", parsing stops at the first non-flag, which is the verb). Unknown flags are
/// tolerated: containerd has added flags over time and an old shim must not refuse a newer containerd.
/// </summary>
public sealed record ShimArguments(
    string Namespace,
    string Id,
    string Address,
    string PublishBinary,
    string Bundle,
    string Socket,
    bool Debug,
    bool Version,
    string Verb)
{
    private static readonly HashSet<string> ValueFlags = ["namespace", "id", "address", "publish-binary", "bundle", "socket", "debug-socket"];
    private static readonly HashSet<string> BoolFlags = ["debug", "v", "version", "info"];

    public static ShimArguments Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }
            if (!arg.StartsWith('-') || arg == "-")
            {
                break;
            }
            string name = arg.TrimStart('-');
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                inline = name[(eq + 1)..];
                name = name[..eq];
            }
            if (ValueFlags.Contains(name))
            {
                if (inline is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new ArgumentException($"flag -{name} needs a value");
                    }
                    inline = args[++i];
                }
                values[name] = inline;
            }
            else if (BoolFlags.Contains(name))
            {
                if (inline is null || inline is "true" or "1")
                {
                    flags.Add(name);
                }
            }
            // else: an unknown flag, tolerated (see the class comment).
        }
        return new ShimArguments(
            Namespace: values.GetValueOrDefault("namespace", ""),
            Id: values.GetValueOrDefault("id", ""),
            Address: values.GetValueOrDefault("address", ""),
            PublishBinary: values.GetValueOrDefault("publish-binary", "containerd"),
            Bundle: values.GetValueOrDefault("bundle", ""),
            Socket: values.GetValueOrDefault("socket", ""),
            Debug: flags.Contains("debug"),
            Version: flags.Contains("v") || flags.Contains("version"),
            Verb: i < args.Count ? args[i] : "");
    }

    /// <summary>Throws the error containerd will show when a required flag is missing.</summary>
    public void Require()
    {
        if (string.IsNullOrEmpty(Namespace))
        {
            throw new ArgumentException("shim namespace cannot be empty (-namespace)");
        }
        if (string.IsNullOrEmpty(Id))
        {
            throw new ArgumentException("shim id cannot be empty (-id)");
        }
    }
}
