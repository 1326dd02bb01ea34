using System.Text.RegularExpressions;
using KataSharp.Tests.Shared.Architecture;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>Where a pattern occurs in the code (comments and string text blanked, see <see cref="CSharpText"/>) of the
/// production sources below vmm/, agent/, runtime/ and shared/ (where there is one): "path:line: match" for a test's
/// failure message. Paths are relative to the repository root.</summary>
internal static class SourceScan
{
    public static List<string> Matches(Regex pattern, Func<string, bool>? skip = null)
    {
        var found = new List<string>();
        foreach (string relative in ProductionFiles())
        {
            if (skip?.Invoke(relative) == true)
            {
                continue;
            }
            string code = CSharpText.CodeOnly(File.ReadAllText(Path.Combine(FolderCycleCheck.RepositoryRoot, relative)));
            foreach (Match m in pattern.Matches(code))
            {
                found.Add($"{relative}:{code.AsSpan(0, m.Index).Count('\n') + 1}: {m.Value.Trim()}");
            }
        }
        return found;
    }

    /// <summary>The production .cs files, relative to the repository root.</summary>
    public static IEnumerable<string> ProductionFiles()
    {
        string root = FolderCycleCheck.RepositoryRoot;
        foreach (string folder in new[] { "vmm", "agent", "runtime", "shared" })
        {
            string top = Path.Combine(root, folder);
            if (!Directory.Exists(top))
            {
                continue;
            }
            foreach (string file in Directory.EnumerateFiles(top, "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file);
                if (!relative.Contains("/obj/", StringComparison.Ordinal) && !relative.Contains("/bin/", StringComparison.Ordinal))
                {
                    yield return relative;
                }
            }
        }
    }
}
