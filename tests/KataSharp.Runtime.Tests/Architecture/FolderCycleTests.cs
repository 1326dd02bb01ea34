using KataSharp.Tests.Shared.Architecture;
using Xunit;

namespace KataSharp.Runtime.Tests.Architecture;

/// <summary>No two folders of the host-side projects use each other (see FolderCycleCheck).</summary>
public sealed class FolderCycleTests
{
    /// <summary>Ties that stay, and why. An entry that no longer ties fails the test.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal);

    [Fact]
    public void No_two_folders_of_the_runtime_use_each_other()
    {
        string report = FolderCycleCheck.Report(
            [
                "runtime/KataSharp.Runtime/KataSharp.Runtime.csproj",
                "runtime/KataSharp.Shim/KataSharp.Shim.csproj",
                "runtime/KataSharp.Confinement/KataSharp.Confinement.csproj",
                "runtime/KataSharp.SandboxVmm/KataSharp.SandboxVmm.csproj",
                "runtime/KataSharp.Cli/KataSharp.Cli.csproj",
            ],
            Allowed);
        Assert.True(report.Length == 0, report);
    }
}
