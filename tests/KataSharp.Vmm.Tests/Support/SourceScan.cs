using System.Text.RegularExpressions;
using KataSharp.Tests.Shared.Architecture;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>Where a pattern occurs in the code (comments and string text blanked, see <see cref="CSharpText"/>) of the
/// production sources below vmm/, agent/ and runtime/: "path:line: match" for a test's failure message.</summary>
internal static class SourceScan
{
    public static List<string> Matches(Regex pattern, IReadOnlySet<string>? skip = null)
    {
        string root = FolderCycleCheck.RepositoryRoot;
        var found = new List<string>();
        foreach (string folder in new[] { "vmm", "agent", "runtime" })
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file);
                if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)
                    || skip?.Contains(relative) == true)
                {
                    continue;
                }
                string code = CSharpText.CodeOnly(File.ReadAllText(file));
                foreach (Match m in pattern.Matches(code))
                {
                    found.Add($"{relative}:{code.AsSpan(0, m.Index).Count('\n') + 1}: {m.Value.Trim()}");
                }
            }
        }
        return found;
    }

    /// <summary>Whether <paramref name="relative"/> (from the repository root) has the pattern in its code.</summary>
    public static bool Contains(string relative, Regex pattern) =>
        pattern.IsMatch(CSharpText.CodeOnly(File.ReadAllText(Path.Combine(FolderCycleCheck.RepositoryRoot, relative))));
}
