using System.Text;
using KataSharp.Runtime.Oci.Spec;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The last step of a container's spec on its way to the agent: bind mounts whose files or directories the guest
/// provides point at their guest paths and lose their propagation options; then the document, translated in place
/// since the bundle was loaded (<see cref="OciSpec"/>), is serialized, once.
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

    /// <summary>Points every bind mount whose destination the guest provides at its guest path; returns the spec's text for the agent.</summary>
    /// <param name="spec">Edited in place: the caller is its last owner.</param>
    /// <param name="guestSources">Mount destination → guest path of its copy.</param>
    public static string ForAgent(OciSpec spec, IReadOnlyDictionary<string, string> guestSources)
    {
        foreach (OciMount mount in spec.Mounts())
        {
            if (mount.IsBind && mount.Destination is { } destination && guestSources.TryGetValue(destination, out string? guestPath))
            {
                mount.SetSource(guestPath);
                // A copied file has no submounts, so propagation (CRI asks "rprivate" for /etc/hosts and friends)
                // means nothing for it — and the agent applies propagation to the path beneath a fresh bind,
                // which fails with EINVAL. Dropped for copies.
                mount.RemoveOptions(PropagationOptions);
            }
        }
        return spec.ToJson();
    }
}
