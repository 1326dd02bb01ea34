using System.Text.RegularExpressions;
using KataSharp.Tests.Shared.Architecture;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// One binding mechanism (issue 17): native code is reached only through our own <c>[LibraryImport]</c>s, and those live
/// only in the interop folders listed here, one *Calls file per C header, each struct and constant checked against the
/// header by a layout test (LibcLayoutTests, NetlinkLayoutTests, BpfLayoutTests, SyscallNumberTests). No second
/// mechanism beside it: no Tmds.LibC (the design card's package, dropped for this), no <c>[DllImport]</c> (reflection-
/// era marshalling), no import declared next to the code that calls it. The VMM's KVM ioctls go through
/// KataSharp.Linux's Ioctl wrapper and have no imports of their own, so the list has one folder; a new one is a decision
/// to write down here. Tests may declare what they need to reach the system from outside.
/// </summary>
public sealed partial class BindingMechanismTests
{
    /// <summary>Where imports may be declared (paths relative to the repository root, with the trailing slash).</summary>
    private static readonly string[] InteropFolders = ["shared/KataSharp.Linux/Interop/"];

    [Fact]
    public void No_production_code_uses_Tmds_LibC()
    {
        List<string> offenders = SourceScan.Matches(Tmds());
        Assert.True(offenders.Count == 0, "Tmds.LibC is gone (issue 17): import the call in an Interop *Calls file:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void No_project_references_the_Tmds_LibC_package()
    {
        string root = FolderCycleCheck.RepositoryRoot;
        var offenders = ProjectFiles(root)
            .Where(f => File.ReadAllText(f).Contains("Tmds", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(root, f))
            .ToList();
        Assert.Contains(Path.Combine(root, "Directory.Packages.props"), ProjectFiles(root)); // the walk sees the versions file
        Assert.True(offenders.Count == 0, "a project or props file still names Tmds.LibC:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void Native_imports_are_LibraryImports_declared_only_in_the_interop_folders()
    {
        List<string> dllImports = SourceScan.Matches(DllImport());
        Assert.True(dllImports.Count == 0, "DllImport is the second mechanism: use [LibraryImport] in an Interop *Calls file:\n" + string.Join('\n', dllImports));

        List<string> outside = SourceScan.Matches(LibraryImport(), skip: InInteropFolder);
        Assert.True(outside.Count == 0, "[LibraryImport] outside " + string.Join(", ", InteropFolders) + ":\n" + string.Join('\n', outside));

        // The listed folders still hold the imports (a folder that moved would leave the rule checking nothing).
        foreach (string folder in InteropFolders)
        {
            Assert.True(SourceScan.Matches(LibraryImport(), skip: relative => !relative.StartsWith(folder, StringComparison.Ordinal)).Count > 0,
                $"{folder} declares no [LibraryImport]: update the list");
        }
    }

    /// <summary>Every *proj and *.props file, outside build outputs and dot-folders (.git).</summary>
    private static IEnumerable<string> ProjectFiles(string folder)
    {
        foreach (string file in Directory.EnumerateFiles(folder))
        {
            if (file.EndsWith("proj", StringComparison.Ordinal) || file.EndsWith(".props", StringComparison.Ordinal))
            {
                yield return file;
            }
        }
        foreach (string child in Directory.EnumerateDirectories(folder))
        {
            string name = Path.GetFileName(child);
            if (!name.StartsWith('.') && name is not ("bin" or "obj" or "out" or "node_modules"))
            {
                foreach (string file in ProjectFiles(child))
                {
                    yield return file;
                }
            }
        }
    }

    private static bool InInteropFolder(string relative) =>
        InteropFolders.Any(folder => relative.StartsWith(folder, StringComparison.Ordinal));

    [GeneratedRegex(@"\bTmds\.")]
    private static partial Regex Tmds();

    [GeneratedRegex(@"\[\s*(?:[\w.]+\.)?DllImport(?:Attribute)?\b")]
    private static partial Regex DllImport();

    [GeneratedRegex(@"\[\s*(?:[\w.]+\.)?LibraryImport(?:Attribute)?\b")]
    private static partial Regex LibraryImport();
}
