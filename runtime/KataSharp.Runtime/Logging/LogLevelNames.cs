namespace KataSharp.Runtime.Logging;

/// <summary>
/// The level names an operator writes (<c>[runtime] log_level</c>) and the agent reads
/// (<c>katasharp.log=</c>): one spelling for both, so a level set in the configuration means the same
/// on both sides of the VM. "warn", not logrus's "warning": it is what the agent's option takes.
/// </summary>
public static class LogLevelNames
{
    /// <summary>Every name, most verbose first (the order of <see cref="LogSeverity"/>).</summary>
    public static IReadOnlyList<string> All { get; } = ["debug", "info", "warn", "error"];

    public static string Name(LogSeverity severity) => severity switch
    {
        LogSeverity.Debug => "debug",
        LogSeverity.Info => "info",
        LogSeverity.Warning => "warn",
        _ => "error",
    };

    /// <summary>False for anything but an exact name of <see cref="All"/> (no case folding: the file has one spelling).</summary>
    public static bool TryParse(string name, out LogSeverity severity)
    {
        switch (name)
        {
            case "debug":
                severity = LogSeverity.Debug;
                return true;
            case "info":
                severity = LogSeverity.Info;
                return true;
            case "warn":
                severity = LogSeverity.Warning;
                return true;
            case "error":
                severity = LogSeverity.Error;
                return true;
            default:
                severity = LogSeverity.Info;
                return false;
        }
    }
}
