using System.Text.RegularExpressions;
using KataSharp.Agent.Tests.Support;
using Xunit;

namespace KataSharp.Agent.Tests.Hosting;

/// <summary>
/// The agent watches no files but its containers' memory.events: ASP.NET Core's default builders read appsettings.json
/// from the content root (the working directory: "/" in the guest) with reload on change, which .NET does with one
/// recursive inotify watch per directory — the whole guest tree at start, and one more watch and a wakeup of the agent
/// for every directory a container makes under it.
/// </summary>
public sealed partial class AgentFileWatchTests(AgentProcess agent) : IClassFixture<AgentProcess>
{
    [Fact]
    public void TheAgentHoldsNoInotifyWatch_WithoutContainers_HoweverManyDirectoriesItsWorkingTreeGains()
    {
        Assert.Equal(0, CountWatches(agent.Pid));
        // A workload making directories in the tree the agent runs in (in the guest: a container's upper directory).
        string workload = Path.Combine(agent.Dir, "workload");
        for (int i = 0; i < 200; i++)
        {
            Directory.CreateDirectory(Path.Combine(workload, $"d{i}", "sub"));
        }
        Assert.Equal(0, CountWatches(agent.Pid));
        Assert.True(File.Exists(agent.Socket), "the agent is still serving");
    }

    /// <summary>Every inotify watch the process holds, from the "inotify wd:" lines of its descriptors' fdinfo.</summary>
    private static int CountWatches(int pid)
    {
        int watches = 0;
        foreach (string fdinfo in Directory.GetFiles($"/proc/{pid}/fdinfo"))
        {
            try
            {
                watches += File.ReadLines(fdinfo).Count(line => WatchLine().IsMatch(line));
            }
            catch (IOException)
            {
                // The descriptor closed between listing and reading.
            }
        }
        return watches;
    }

    [GeneratedRegex(@"^inotify wd:")]
    private static partial Regex WatchLine();
}
