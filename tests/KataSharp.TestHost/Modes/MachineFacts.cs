namespace KataSharp.TestHost.Modes;

/// <summary>What mode detection looks at, gathered from the machine (or made up by a test).</summary>
internal sealed record MachineFacts(string CpuInfo, bool HasKvmDevice, IReadOnlySet<string> LoadedModules, string? ModeOverride)
{
    /// <summary>The override variable: <c>nested</c> or <c>direct</c> forces a mode.</summary>
    public const string OverrideVariable = "KATASHARP_TESTHOST_MODE";

    public static MachineFacts FromThisMachine()
    {
        var modules = new HashSet<string>(StringComparer.Ordinal);
        // /sys/module lists loaded modules (and built-in ones with parameters); /proc/modules
        // may be missing in containers, /sys/module is not.
        if (Directory.Exists("/sys/module"))
        {
            foreach (string dir in Directory.EnumerateDirectories("/sys/module"))
            {
                modules.Add(Path.GetFileName(dir));
            }
        }
        return new MachineFacts(
            File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "",
            File.Exists("/dev/kvm"),
            modules,
            Environment.GetEnvironmentVariable(OverrideVariable));
    }
}
