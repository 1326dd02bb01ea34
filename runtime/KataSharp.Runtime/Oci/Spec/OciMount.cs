using System.Text.Json.Nodes;

namespace KataSharp.Runtime.Oci.Spec;

/// <summary>
/// One object of a spec's <c>mounts</c> array, read and edited in place. The one reader of a mount's source, destination
/// and options, and the one rule for what is a bind, for every step that looks at binds (the file copy, the VM
/// adaptation, the guest bind sources): a field that is absent or not a string reads as null.
/// </summary>
/// <param name="Index">Its index in the array (errors and block devices name <c>mounts[Index]</c>).</param>
public readonly record struct OciMount(int Index, JsonObject Node)
{
    public string? Source => JsonText.Of(Node["source"]);

    public string? Destination => JsonText.Of(Node["destination"]);

    /// <summary>A bind as runc reads one: type "bind", or a "bind"/"rbind" option whatever the type (CRI writes both).</summary>
    public bool IsBind => JsonText.Of(Node["type"]) == "bind" || HasOption("bind") || HasOption("rbind");

    public bool ReadOnly => HasOption("ro");

    public bool HasOption(string option) => Node["options"] is JsonArray options && options.Any(o => JsonText.Of(o) == option);

    public void SetSource(string source) => Node["source"] = source;

    /// <summary>Appends an option, giving the mount an options array when it has none.</summary>
    public void AddOption(string option)
    {
        if (Node["options"] is not JsonArray options)
        {
            options = [];
            Node["options"] = options;
        }
        options.Add((JsonNode?)JsonValue.Create(option));
    }

    /// <summary>Removes every option in <paramref name="unwanted"/>.</summary>
    public void RemoveOptions(IReadOnlySet<string> unwanted)
    {
        if (Node["options"] is JsonArray options)
        {
            for (int i = options.Count - 1; i >= 0; i--)
            {
                if (JsonText.Of(options[i]) is { } option && unwanted.Contains(option))
                {
                    options.RemoveAt(i);
                }
            }
        }
    }
}
