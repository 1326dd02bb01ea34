namespace KataSharp.Shim.Memory;

/// <summary>
/// The garbage collector's gen0 budget for the shim's long-lived processes (the server and the VMM process), passed as
/// DOTNET_GCgen0size in their environment (the NativeAOT runtime reads it at start, before any code of ours runs).
/// By default the budget follows the CPU's cache size (megabytes), and a process touches that much fresh heap
/// between two collections and keeps it: per pod, twice. Both processes allocate little (requests, log lines), so
/// a 512 KiB budget costs a few more gen0 collections and saves host memory per pod (README, Performance). A value the
/// administrator set in containerd's environment wins.
/// </summary>
public static class GcBudget
{
    public const string Variable = "DOTNET_GCgen0size";

    /// <summary>512 KiB, in hexadecimal as the runtime reads it.</summary>
    public const string Gen0Size = "80000";

    /// <summary><paramref name="environment"/> ("NAME=value" entries) with the gen0 budget added unless it has one.</summary>
    public static List<string> Apply(IEnumerable<string> environment)
    {
        var result = environment.ToList();
        if (!result.Any(entry => entry.StartsWith(Variable + "=", StringComparison.Ordinal)))
        {
            result.Add($"{Variable}={Gen0Size}");
        }
        return result;
    }

    /// <summary>This process's own value when it has one, else the default: what the VMM process inherits.</summary>
    public static string Current => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : Gen0Size;
}
