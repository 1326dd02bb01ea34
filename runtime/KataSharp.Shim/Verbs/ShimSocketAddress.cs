using System.Security.Cryptography;
using System.Text;

namespace KataSharp.Shim.Verbs;

/// <summary>
/// Where a pod's shim listens: /run/containerd/s/&lt;sha256(address/namespace/grouping key)&gt;, the
/// path containerd 1.6's shim library computes (runtime/v2/shim/util_unix.go SocketAddress). The
/// same key gives the same socket, which is how every container of a pod finds one shim.
/// </summary>
public static class ShimSocketAddress
{
    public const string Directory = "/run/containerd/s";

    public static string PathFor(string containerdAddress, string containerdNamespace, string groupingKey)
    {
        // Go's filepath.Join cleans the result (no doubled or trailing slashes).
        string joined = string.Join('/', new[] { containerdAddress, containerdNamespace, groupingKey }
            .SelectMany(part => part.Split('/', StringSplitOptions.RemoveEmptyEntries)));
        if (containerdAddress.StartsWith('/'))
        {
            joined = "/" + joined;
        }
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(joined)));
        return $"{Directory}/{hash}";
    }

    /// <summary>What `start` prints: with the scheme, because containerd 1.6 dials anything else as an abstract socket.</summary>
    public static string Uri(string socketPath) => "unix://" + socketPath;
}
