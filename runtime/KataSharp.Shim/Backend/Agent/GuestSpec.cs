using System.Text;
using System.Text.Json.Nodes;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tasks;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The bundle's config.json as the agent needs it: bind mounts of copied files point at their
/// guest copies (CopyFile's guest_path); everything else stays byte-for-byte meaningfully the same.
/// Also names where each copied file goes under the agent's shared directory.
/// </summary>
public static class GuestSpec
{
    /// <summary>Relative CopyFile path of a container's file: per container, numbered, readable.</summary>
    public static string CopyPath(string containerId, int index, ContainerFile file)
    {
        string name = Path.GetFileName(file.Destination.TrimEnd('/'));
        var safe = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }
        return $"containers/{containerId}/{index}-{(safe.Length == 0 ? "file" : safe.ToString())}";
    }

    /// <summary>Points every bind mount whose destination was copied at its guest path.</summary>
    /// <param name="guestSources">Mount destination → guest path of its copy.</param>
    public static string RewriteBindSources(string specJson, IReadOnlyDictionary<string, string> guestSources)
    {
        if (guestSources.Count == 0)
        {
            return specJson;
        }
        JsonNode spec = JsonNode.Parse(specJson) as JsonObject
            ?? throw new RuntimeException(RuntimeError.InvalidArgument, "config.json: the OCI spec is not a JSON object");
        if (spec["mounts"] is JsonArray mounts)
        {
            foreach (JsonObject mount in mounts.OfType<JsonObject>())
            {
                if (mount["destination"]?.GetValue<string>() is { } destination && IsBind(mount)
                    && guestSources.TryGetValue(destination, out string? guestPath))
                {
                    mount["source"] = guestPath;
                }
            }
        }
        return spec.ToJsonString();
    }

    private static bool IsBind(JsonObject mount) =>
        mount["type"]?.GetValue<string>() == "bind"
        || (mount["options"] is JsonArray options && options.Any(o => o?.GetValue<string>() is "bind" or "rbind"));
}
