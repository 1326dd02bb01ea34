using KataSharp.Tests.Shared.Architecture;
using Xunit;

namespace KataSharp.Runtime.Tests.Architecture;

/// <summary>
/// A container's config.json is parsed once per Create. The types hold most of it: every translation (PodNamespaces,
/// VmSpecAdapter, GuestSpec) and the launch take the parsed OciSpec, never text. What they cannot stop is a step that
/// serializes the document and parses it again, or reads the file itself: this keeps the places that parse JSON in the
/// runtime and the shim to a known list, and the one call that parses a spec to the bundle's load.
/// </summary>
public sealed class SpecParsedOnceTests
{
    private static readonly string[] Projects = ["runtime/KataSharp.Runtime", "runtime/KataSharp.Shim", "runtime/KataSharp.Confinement", "runtime/KataSharp.SandboxVmm"];

    private static readonly string[] ParseCalls =
        ["JsonNode.Parse(", "JsonObject.Parse(", "JsonDocument.Parse(", "JsonElement.ParseValue(", "JsonSerializer.Deserialize", "new Utf8JsonReader("];

    /// <summary>Files that parse JSON, and what. An entry that no longer parses fails the test.</summary>
    private static readonly Dictionary<string, string> Parsers = new(StringComparer.Ordinal)
    {
        ["runtime/KataSharp.Runtime/Oci/Spec/OciSpec.cs"] = "the OCI spec: the one place its text becomes a document",
        ["runtime/KataSharp.Runtime/Persistence/SandboxStateStore.cs"] = "the shim's own sandbox record, not a spec",
        ["runtime/KataSharp.Confinement/ConfinedVmmProcess.cs"] = "the VMM process's spec from its shim (vmm.json), not an OCI spec",
        ["runtime/KataSharp.Confinement/VmmChannel.cs"] = "control messages between the shim and its VMM process",
    };

    [Fact]
    public void Only_the_known_files_parse_json()
    {
        string[] parsing = Sources().Where(f => ParseCalls.Any(f.Text.Contains)).Select(f => f.Path).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Parsers.Keys.Order(StringComparer.Ordinal), parsing);
    }

    [Fact]
    public void Only_loading_the_bundle_parses_a_spec()
    {
        string[] callers = Sources().Where(f => f.Text.Contains("OciSpec.Parse(")).Select(f => f.Path).ToArray();
        Assert.Equal(["runtime/KataSharp.Runtime/Oci/OciBundle.cs"], callers);
    }

    private static IEnumerable<(string Path, string Text)> Sources() =>
        Projects.SelectMany(project => Directory.EnumerateFiles(Path.Combine(FolderCycleCheck.RepositoryRoot, project), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains("/obj/") && !path.Contains("/bin/"))
            .Select(path => (Path.GetRelativePath(FolderCycleCheck.RepositoryRoot, path), File.ReadAllText(path)));
}
