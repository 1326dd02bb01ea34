using System.Text.Json.Nodes;

namespace KataSharp.Runtime.Oci.Spec;

/// <summary>One object of a spec's <c>linux.namespaces</c> array, read and edited in place.</summary>
/// <param name="Index">Its index in the array (errors name <c>linux.namespaces[Index]</c>).</param>
public readonly record struct OciNamespace(int Index, JsonObject Node)
{
    /// <summary>"network", "ipc"...; null when absent or not a string.</summary>
    public string? Type => JsonText.Of(Node["type"]);

    /// <summary>The namespace to join, by path; null when there is none (absent, empty or not a string): a new namespace.</summary>
    public string? Path => JsonText.Of(Node["path"]) is { Length: > 0 } path ? path : null;

    /// <summary>Keeps the entry (the container still gets a namespace of that type) without the host path.</summary>
    public void DropPath() => Node.Remove("path");
}
