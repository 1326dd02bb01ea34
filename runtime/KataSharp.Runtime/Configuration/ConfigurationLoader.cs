namespace KataSharp.Runtime.Configuration;

/// <summary>
/// Finds and parses configuration.toml. Search order: an explicit path (containerd's
/// runtimeoptions config_path), $KATASHARP_CONFIG, /etc/katasharp/configuration.toml, then the
/// default installed by `katasharp install`.
/// </summary>
public static class ConfigurationLoader
{
    public const string EnvironmentVariable = "KATASHARP_CONFIG";
    public const string SystemPath = "/etc/katasharp/configuration.toml";
    public const string InstalledDefaultPath = "/usr/share/katasharp/configuration.toml";

    /// <summary>Which file would be used, and why; null when none exists.</summary>
    public static (string? Path, string Reason) Locate(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return (explicitPath, "containerd runtime option ConfigPath");
        }
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return (fromEnvironment, $"${EnvironmentVariable}");
        }
        if (File.Exists(SystemPath))
        {
            return (SystemPath, "system configuration");
        }
        if (File.Exists(InstalledDefaultPath))
        {
            return (InstalledDefaultPath, "installed default");
        }
        return (null, $"none of {SystemPath} or {InstalledDefaultPath} exists and ${EnvironmentVariable} is not set");
    }

    public static RuntimeConfiguration Load(string? explicitPath = null)
    {
        var (path, reason) = Locate(explicitPath);
        if (path is null)
        {
            throw new ConfigurationException("(not found)", [$"no configuration file: {reason}; run `katasharp install` or set ${EnvironmentVariable}"]);
        }
        if (!File.Exists(path))
        {
            throw new ConfigurationException(path, [$"the file named by {reason} does not exist"]);
        }
        return ConfigurationParser.Parse(File.ReadAllText(path), path);
    }
}
