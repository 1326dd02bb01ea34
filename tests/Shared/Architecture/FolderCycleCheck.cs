using System.Text;

namespace KataSharp.Tests.Shared.Architecture;

/// <summary>
/// (tests/Shared: compiled into each test project that needs it.)
/// The check behind each test project's FolderCycleTests: within one project, no two folders may
/// use each other. Arrows between folders should only point down, from the code that does the work
/// to the vocabulary it shares; a two-way tie means the two folders can only be understood, moved
/// or tested together.
/// </summary>
public static class FolderCycleCheck
{
    /// <summary>
    /// What is wrong with the projects (paths relative to the repository root), or "" when
    /// nothing is. <paramref name="allowed"/> maps "project: A &lt;-&gt; B" to why that tie stays; an
    /// entry that no longer ties is reported too, so the list cannot go stale.
    /// </summary>
    public static string Report(IEnumerable<string> projects, IReadOnlyDictionary<string, string> allowed)
    {
        var report = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string project in projects)
        {
            string name = Path.GetFileNameWithoutExtension(project);
            var graph = FolderGraph.Load(Path.Combine(RepositoryRoot, project));
            foreach (string mismatch in graph.NamespaceMismatches)
            {
                report.AppendLine($"{name}: namespace is not the folder (this check relies on it): {mismatch}");
            }
            foreach (FolderTie tie in graph.TwoWayTies())
            {
                string key = $"{name}: {tie.Key}";
                seen.Add(key);
                if (!allowed.ContainsKey(key))
                {
                    report.Append($"{name}: two-way tie {tie}");
                }
            }
        }
        foreach (string key in allowed.Keys.Where(k => !seen.Contains(k)))
        {
            report.AppendLine($"allowed but no longer a tie, remove it from the list: {key}");
        }
        return report.ToString();
    }

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Directory.Build.props")) && File.Exists(Path.Combine(dir, "KataSharp.sln")))
            {
                return dir;
            }
        }
        throw new DirectoryNotFoundException($"no KataSharp checkout above {AppContext.BaseDirectory}");
    }
}
