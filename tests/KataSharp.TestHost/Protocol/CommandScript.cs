using System.Text;

namespace KataSharp.TestHost.Protocol;

/// <summary>
/// The script the agent runs for one command: a fixed environment (commands run as root in L1,
/// where the caller's environment does not exist), the caller's working directory when it
/// exists there, then the command itself, run by bash.
/// </summary>
internal static class CommandScript
{
    /// <summary>Standard system directories first, then the caller's PATH (e.g. ~/.dotnet/tools).</summary>
    private const string SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Variables passed through from the caller when set: where KataSharp's scripts look for things.</summary>
    private static readonly string[] PassedThrough = ["KATASHARP_CACHE", "KATASHARP_OUT", "KATASHARP_ROOT", "DOTNET_ROOT"];

    public static string Build(string shellCommand, string workingDirectory, Func<string, string?> environment)
    {
        var script = new StringBuilder()
            .AppendLine("# written by KataSharp.TestHost; run by tests/testhost/agent.sh")
            .AppendLine($"export PATH={Quote(MergePath(environment("PATH")))}")
            .AppendLine("export HOME=/root LANG=C.UTF-8 TERM=dumb");
        foreach (string name in PassedThrough)
        {
            if (environment(name) is { Length: > 0 } value)
            {
                script.AppendLine($"export {name}={Quote(value)}");
            }
        }
        return script
            .AppendLine($"cd {Quote(workingDirectory)} 2>/dev/null || cd /")
            .AppendLine(shellCommand)
            .ToString();
    }

    /// <summary>Single-quotes a value for bash (an embedded ' becomes '\'').</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    private static string MergePath(string? callerPath)
    {
        var parts = new List<string>(SystemPath.Split(':'));
        foreach (string dir in (callerPath ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!parts.Contains(dir))
            {
                parts.Add(dir);
            }
        }
        return string.Join(':', parts);
    }
}
