using System.Diagnostics;

namespace KataSharp.Agent.Tests.Support;

/// <summary>Paths of the checkout and its build outputs, found from the test binary's location.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string OutBin => Path.Combine(Environment.GetEnvironmentVariable("KATASHARP_OUT") ?? Path.Combine(Root, "out"), "bin");

    private static readonly Lazy<string> SpawnHelperPath = new(() => BuildNative("ks-spawn"));
    private static readonly Lazy<string> InitPath = new(() => BuildNative("ks-init"));
    private static readonly Lazy<string> SyscallProbePath = new(() => BuildNative("ks-syscall-probe"));

    /// <summary>ks-spawn, built (if its sources changed) by agent/native/build.sh.</summary>
    public static string SpawnHelper => SpawnHelperPath.Value;

    public static string Init => InitPath.Value;

    /// <summary>ks-syscall-probe (tests/native), static: makes named syscalls inside a container and prints their errno.</summary>
    public static string SyscallProbe => SyscallProbePath.Value;

    private static string BuildNative(string name)
    {
        CommandResult result = Commands.Run(Path.Combine(Root, "agent", "native", "build.sh"), name);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"agent/native/build.sh {name} failed: {result.Stderr}");
        }
        return Path.Combine(OutBin, name);
    }

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Directory.Build.props")) && Directory.Exists(Path.Combine(dir, "agent")))
            {
                return dir;
            }
        }
        throw new InvalidOperationException($"no KataSharp checkout above {AppContext.BaseDirectory}");
    }
}
