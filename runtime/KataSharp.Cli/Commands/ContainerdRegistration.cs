using Tomlyn;
using Tomlyn.Model;
using KataSharp.Runtime.Configuration;

namespace KataSharp.Cli.Commands;

/// <summary>
/// KataSharp's entry in containerd's config.toml: the CRI runtime handler `katasharp` with
/// runtime_type io.containerd.katasharp.v2 (`ctr run --runtime io.containerd.katasharp.v2` needs
/// only the shim binary on containerd's PATH). Adding is append-only and idempotent: an existing
/// handler of that name, ours or anyone's, is never touched. The CRI plugin's name follows the
/// file's config version: "cri" (version 1), "io.containerd.grpc.v1.cri" (version 2, containerd
/// 1.5-1.7), "io.containerd.cri.v1.runtime" (version 3, containerd 2.x).
/// </summary>
public static class ContainerdRegistration
{
    public const string DefaultConfigPath = "/etc/containerd/config.toml";
    public const string Handler = "katasharp";
    public const string RuntimeType = "io.containerd.katasharp.v2";

    /// <summary>containerd's built-in CRI runtime, the CRI plugin's default_runtime_name unless configured.</summary>
    public const string DefaultRuntime = "runc";
    public const string DefaultRuntimeType = "io.containerd.runc.v2";

    /// <summary>True when the CRI plugin has a runtime handler named katasharp.</summary>
    public static bool IsRegistered(string configText) =>
        CriRuntimes(Parse(configText)) is { } runtimes && runtimes.ContainsKey(Handler);

    /// <summary>The CRI plugin's id per config version (containerd 2.x split CRI; its runtimes live in the runtime half).</summary>
    private static readonly string[] CriPluginIds = ["io.containerd.cri.v1.runtime", "io.containerd.grpc.v1.cri", "cri"];

    /// <summary>The config text with the handler appended (unchanged when it is already there).</summary>
    /// <param name="versionForEmptyFile">The config version to write when there is no config yet (3 for containerd 2.x).</param>
    public static string Register(string configText, int versionForEmptyFile = 2)
    {
        TomlTable root = Parse(configText);
        if (CriRuntimes(root) is { } runtimes && runtimes.ContainsKey(Handler))
        {
            return configText;
        }
        bool empty = configText.Trim().Length == 0;
        long configVersion = empty ? versionForEmptyFile : root.TryGetValue("version", out object? version) && version is long v ? v : 1;
        string plugin = configVersion switch
        {
            >= 3 => "plugins.\"io.containerd.cri.v1.runtime\"",
            2 => "plugins.\"io.containerd.grpc.v1.cri\"",
            _ => "plugins.cri",
        };
        string prefix = empty ? $"version = {configVersion}\n" : configText.EndsWith('\n') ? "" : "\n";
        string updated = configText + prefix + $"""

            # Added by `katasharp install`: pods with runtimeClassName "{Handler}" run in KataSharp microVMs.
            [{plugin}.containerd.runtimes.{Handler}]
              runtime_type = "{RuntimeType}"
              privileged_without_host_devices = true

            """;
        if (LosesDefaultRunc(root))
        {
            // containerd replaces its built-in runtimes (runc) with the configured ones: without this
            // table the CRI plugin would refuse to load ("no corresponding runtime ... runc").
            updated += $"""
                [{plugin}.containerd.runtimes.{DefaultRuntime}]
                  runtime_type = "{DefaultRuntimeType}"

                """;
        }
        if (CriRuntimes(Parse(updated)) is not { } added || !added.ContainsKey(Handler))
        {
            throw new InvalidDataException("appending the katasharp handler did not produce it (the CRI runtimes are defined inline?); add it by hand");
        }
        return updated;
    }

    /// <summary>True when the CRI default runtime is containerd's built-in runc and the config does not define it.</summary>
    private static bool LosesDefaultRunc(TomlTable root)
    {
        TomlTable? containerd = Child(CriPlugin(root), "containerd");
        string defaultName = containerd is not null && containerd.TryGetValue("default_runtime_name", out object? name) && name is string text ? text : DefaultRuntime;
        return defaultName == DefaultRuntime && !(CriRuntimes(root)?.ContainsKey(DefaultRuntime) ?? false);
    }

    private static TomlTable Parse(string text)
    {
        try
        {
            return TomlText.Parse(text);
        }
        catch (TomlException e)
        {
            throw new InvalidDataException($"containerd's config is not valid TOML ({e.Message}); fix it before registering katasharp");
        }
    }

    private static TomlTable? CriPlugin(TomlTable root)
    {
        TomlTable? plugins = Child(root, "plugins");
        return CriPluginIds.Select(id => Child(plugins, id)).FirstOrDefault(table => table is not null);
    }

    private static TomlTable? CriRuntimes(TomlTable root) => Child(Child(CriPlugin(root), "containerd"), "runtimes");

    private static TomlTable? Child(TomlTable? table, string key) =>
        table is not null && table.TryGetValue(key, out object? value) ? value as TomlTable : null;
}
