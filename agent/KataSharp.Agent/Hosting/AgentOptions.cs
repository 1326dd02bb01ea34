using KataSharp.Agent.Hosting.Listeners;
using KataSharp.Agent.Protocol;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting;

/// <summary>
/// The agent's settings: command-line flags (tests, manual runs) over kernel command-line options
/// (katasharp.log=debug, katasharp.debug_console) over defaults for the guest.
/// </summary>
public sealed record AgentOptions
{
    public ListenAddress Listen { get; init; } = new(AgentProtocolConstants.GrpcPort, null);
    public string StateDir { get; init; } = "/run/katasharp";
    public string CgroupMountPoint { get; init; } = "/sys/fs/cgroup";
    public string CgroupName { get; init; } = "katasharp";
    public string SpawnHelperPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "ks-spawn");
    /// <summary>Directory of the guest's resolv.conf (CreateSandbox's DNS).</summary>
    public string EtcDir { get; init; } = "/etc";
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    /// <summary>Send log lines to the host's vsock port 1025 too (guest only).</summary>
    public bool LogToVsock { get; init; } = true;
    public bool DebugConsole { get; init; }

    public const string Usage =
        "katasharp-agent [--listen vsock:<port>|unix:<path>] [--state-dir DIR] [--cgroup-root DIR] [--cgroup-name NAME]\n" +
        "                [--spawn-helper PATH] [--etc-dir DIR] [--log-level trace|debug|info|warn|error] [--debug-console]\n" +
        "Kernel command line: katasharp.log=<level>  katasharp.debug_console  (a shell on vsock port 1026)";

    public static AgentOptions Parse(string[] args, string? kernelCommandLine)
    {
        var options = new AgentOptions();
        foreach (string word in (kernelCommandLine ?? "").Split(' ', '\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith("katasharp.log=", StringComparison.Ordinal))
            {
                options = options with { LogLevel = ParseLevel(word["katasharp.log=".Length..]) };
            }
            else if (word == AgentProtocolConstants.DebugConsoleKernelParameter)
            {
                options = options with { DebugConsole = true };
            }
        }
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            options = args[i] switch
            {
                "--listen" => options with { Listen = ListenAddress.Parse(Value()) },
                "--state-dir" => options with { StateDir = Value() },
                "--cgroup-root" => options with { CgroupMountPoint = Value() },
                "--cgroup-name" => options with { CgroupName = Value() },
                "--spawn-helper" => options with { SpawnHelperPath = Value() },
                "--etc-dir" => options with { EtcDir = Value() },
                "--log-level" => options with { LogLevel = ParseLevel(Value()) },
                "--debug-console" => options with { DebugConsole = true },
                _ => throw new ArgumentException($"unknown option '{args[i]}'\n{Usage}"),
            };
        }
        if (options.Listen.UnixPath is not null)
        {
            options = options with { LogToVsock = false };
        }
        return options;
    }

    private static LogLevel ParseLevel(string text) => text switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new ArgumentException($"unknown log level '{text}' (trace, debug, info, warn, error)"),
    };
}
