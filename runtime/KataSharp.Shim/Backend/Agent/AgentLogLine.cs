using KataSharp.Runtime.Logging;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// One line of the agent's log stream, as its logger writes it ("HH:mm:ss.fff katasharp-agent
/// LEVEL category: message", agent/KataSharp.Agent/Logging/AgentLoggerProvider.cs). The line is
/// guest data — any container can write to the log port — so anything that does not match is
/// kept whole at info level, and the level is the only thing taken from it.
/// </summary>
public readonly record struct AgentLogLine(LogSeverity Severity, string Text)
{
    private const string Tag = "katasharp-agent";

    public static AgentLogLine Parse(string line)
    {
        // time, tag, level, rest
        string[] parts = line.Split(' ', 4);
        if (parts.Length == 4 && parts[1] == Tag && LevelOf(parts[2]) is { } severity)
        {
            return new AgentLogLine(severity, parts[3]);
        }
        return new AgentLogLine(LogSeverity.Info, line);
    }

    private static LogSeverity? LevelOf(string level) => level switch
    {
        "trace" or "debug" => LogSeverity.Debug,
        "info" => LogSeverity.Info,
        "warn" => LogSeverity.Warning,
        "error" or "crit" => LogSeverity.Error,
        _ => null,
    };
}
