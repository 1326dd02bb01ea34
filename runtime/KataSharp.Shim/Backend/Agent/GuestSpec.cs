using System.Text;
using System.Text.Json.Nodes;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The bundle's config.json as the agent needs it: bind mounts of copied files point at their
/// guest copies (CopyFile's guest_path) and lose their propagation options; everything else stays
/// byte-for-byte meaningfully the same.
/// Also names where each copied file goes under the agent's shared directory.
/// </summary>
public static class GuestSpec
{
    private static readonly HashSet<string> PropagationOptions =
        ["private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"];

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
                    DropPropagation(mount);
                }
            }
        }
        return spec.ToJsonString();
    }

    /// <summary>
    /// A copied file has no submounts, so propagation (CRI asks "rprivate" for /etc/hosts and friends)
    /// means nothing for it — and the agent applies propagation to the path beneath a fresh bind,
    /// which fails with EINVAL. Dropped for copies.
    /// </summary>
    private static void DropPropagation(JsonObject mount)
    {
        if (mount["options"] is JsonArray options)
        {
            for (int i = options.Count - 1; i >= 0; i--)
            {
                if (options[i]?.GetValue<string>() is { } option && PropagationOptions.Contains(option))
                {
                    options.RemoveAt(i);
                }
            }
        }
    }

    private static bool IsBind(JsonObject mount) =>
        mount["type"]?.GetValue<string>() == "bind"
        || (mount["options"] is JsonArray options && options.Any(o => o?.GetValue<string>() is "bind" or "rbind"));
}
