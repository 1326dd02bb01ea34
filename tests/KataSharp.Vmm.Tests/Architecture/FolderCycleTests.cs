using KataSharp.Tests.Shared.Architecture;
using Xunit;

namespace KataSharp.Vmm.Tests.Architecture;

/// <summary>No two folders of the VMM projects use each other (see FolderCycleCheck).</summary>
public sealed class FolderCycleTests
{
    /// <summary>Ties that stay, and why. An entry that no longer ties fails the test.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal);

    [Fact]
    public void No_two_folders_of_the_vmm_use_each_other()
    {
        string report = FolderCycleCheck.Report(
            [
                "vmm/KataSharp.Vmm/KataSharp.Vmm.csproj",
                "shared/KataSharp.Linux/KataSharp.Linux.csproj",
                "shared/KataSharp.Lifecycle/KataSharp.Lifecycle.csproj",
                "vmm/KataSharp.Vmm.Cli/KataSharp.Vmm.Cli.csproj",
            ],
            Allowed);
        Assert.True(report.Length == 0, report);
    }
}
