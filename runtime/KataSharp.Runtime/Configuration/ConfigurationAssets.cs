namespace KataSharp.Runtime.Configuration;

/// <summary>
/// Checks that the files a configuration names are really there, naming the key and the fix.
/// Separate from parsing: `katasharp env` shows a configuration whose assets are missing.
/// </summary>
public static class ConfigurationAssets
{
    public static IReadOnlyList<string> FindProblems(RuntimeConfiguration configuration)
    {
        var problems = new List<string>();
        Check(problems, $"{ConfigurationParser.HypervisorTable}.kernel", configuration.Hypervisor.Kernel,
            "build it with guest-image/kernel/build-kernel.sh and install it with `katasharp install`, or point the key at an uncompressed vmlinux");
        Check(problems, $"{ConfigurationParser.HypervisorTable}.initrd", configuration.Hypervisor.Initrd,
            "install the guest initrd with `katasharp install`, or point the key at it");
        return problems;
    }

    /// <summary>Throws every missing-asset problem at once.</summary>
    public static void Require(RuntimeConfiguration configuration)
    {
        var problems = FindProblems(configuration);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(configuration.SourcePath, problems);
        }
    }

    private static void Check(List<string> problems, string key, string path, string fix)
    {
        if (string.IsNullOrEmpty(path))
        {
            return; // already reported by the parser as a missing required key
        }
        if (!File.Exists(path))
        {
            problems.Add($"{key} = \"{path}\": no such file; {fix}");
        }
    }
}
