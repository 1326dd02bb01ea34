using System.Text.Json;
using System.Text.Json.Nodes;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Oci.Spec;

/// <summary>
/// A container's OCI runtime spec (config.json): parsed once, when the bundle is loaded, into this one mutable
/// document, which each translation for the VM edits in place (pod namespaces, VM adaptation, then the shim's guest bind
/// sources) and which is serialized once, for the agent. Translations take this type, never spec text, so none of them
/// can parse the spec again, and each reads mounts and namespaces through the same readers (<see cref="OciMount"/>,
/// <see cref="OciNamespace"/>).
/// <para>
/// Ownership: one owner at a time, hence no lock. The Create that loaded the bundle owns the document until it hands
/// it to the backend in a <c>ContainerLaunch</c>; from then on only the backend edits it and serializes it, and the
/// Create does not touch it again. A reader that needs what the spec said on the host reads it before the hand-over
/// (<c>OciBundle</c> keeps such facts as values, read at load).
/// </para>
/// </summary>
public sealed class OciSpec
{
    private OciSpec(JsonObject root) => Root = root;

    /// <summary>The document itself, for the parts with no reader here (a translation's own fields, device rules).</summary>
    public JsonObject Root { get; }

    /// <summary>The <c>linux</c> object, when there is one.</summary>
    public JsonObject? Linux => Root["linux"] as JsonObject;

    /// <summary>The one place spec text becomes a document.</summary>
    /// <param name="origin">What the text is, for errors (the config.json path).</param>
    public static OciSpec Parse(string json, string origin)
    {
        JsonNode? root;
        try
        {
            // A JsonObject cannot hold a name twice: it would throw ArgumentException at whichever step first read that
            // object. Refused here instead, as invalid input, before anything is translated (containerd never writes one).
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new RuntimeException(RuntimeError.InvalidArgument, $"{origin} is not valid JSON: {e.Message}");
        }
        return new OciSpec(root as JsonObject
            ?? throw new RuntimeException(RuntimeError.InvalidArgument, $"{origin}: the OCI spec is not a JSON object"));
    }

    /// <summary>The document as text: done once, by its last owner, for the agent.</summary>
    public string ToJson() => Root.ToJsonString();

    /// <summary>The object entries of <c>mounts</c>, each with its index in the array (which errors and devices name).</summary>
    public IReadOnlyList<OciMount> Mounts()
    {
        var mounts = new List<OciMount>();
        if (Root["mounts"] is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject mount)
                {
                    mounts.Add(new OciMount(i, mount));
                }
            }
        }
        return mounts;
    }

    /// <summary>Puts <paramref name="replacement"/> in the place of <paramref name="mount"/> (a bind that becomes another kind of mount).</summary>
    public void ReplaceMount(OciMount mount, JsonObject replacement)
    {
        if (Root["mounts"] is not JsonArray array || !ReferenceEquals(array[mount.Index], mount.Node))
        {
            throw new InvalidOperationException($"mounts[{mount.Index}] is not the mount read from this spec");
        }
        array[mount.Index] = replacement;
    }

    /// <summary>The object entries of <c>linux.namespaces</c>, each with its index in the array.</summary>
    public IReadOnlyList<OciNamespace> Namespaces()
    {
        var namespaces = new List<OciNamespace>();
        if (Linux?["namespaces"] is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonObject entry)
                {
                    namespaces.Add(new OciNamespace(i, entry));
                }
            }
        }
        return namespaces;
    }

    /// <summary>The string-valued annotations (others are ignored).</summary>
    public Dictionary<string, string> ReadAnnotations()
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Root["annotations"] is JsonObject element)
        {
            foreach (var (name, value) in element)
            {
                if (JsonText.Of(value) is { } text)
                {
                    annotations[name] = text;
                }
            }
        }
        return annotations;
    }

    /// <summary>linux.cgroupsPath, when a non-empty string.</summary>
    public string? ReadCgroupsPath() => JsonText.Of(Linux?["cgroupsPath"]) is { Length: > 0 } path ? path : null;

    /// <summary>linux.resources.memory.limit, when a positive integer.</summary>
    public long? ReadMemoryLimit() =>
        Linux?["resources"] is JsonObject resources && resources["memory"] is JsonObject memory
        && memory["limit"] is JsonValue limit && limit.GetValueKind() == JsonValueKind.Number && limit.TryGetValue(out long bytes) && bytes > 0
            ? bytes
            : null;

    /// <summary>The path of the first namespace entry of type network, when it has a non-empty one.</summary>
    public string? ReadNetworkNamespacePath()
    {
        foreach (OciNamespace entry in Namespaces())
        {
            if (entry.Type == "network")
            {
                return entry.Path;
            }
        }
        return null;
    }
}
