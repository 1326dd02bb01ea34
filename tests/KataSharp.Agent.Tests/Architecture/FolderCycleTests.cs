using KataSharp.Tests.Shared.Architecture;
using Xunit;

namespace KataSharp.Agent.Tests.Architecture;

/// <summary>No two folders of the agent projects use each other (see FolderCycleCheck).</summary>
public sealed class FolderCycleTests
{
    /// <summary>Ties that stay, and why. An entry that no longer ties fails the test.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal);

    [Fact]
    public void No_two_folders_of_the_agent_use_each_other()
    {
        string report = FolderCycleCheck.Report(
            [
                "agent/KataSharp.Agent/KataSharp.Agent.csproj",
                "agent/KataSharp.Agent.Protocol/KataSharp.Agent.Protocol.csproj",
            ],
            Allowed);
        Assert.True(report.Length == 0, report);
    }
}
