using Xunit;

namespace KataSharp.Vmm.Tests.Support;

/// <summary>A test that makes a private network namespace with a tap in it: needs root (CAP_SYS_ADMIN,
/// CAP_NET_ADMIN), /dev/net/tun, and ip and nsenter; skipped, with the reason, where one is missing.</summary>
public sealed class TapFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> UnavailableReason = new(Probe);

    public TapFactAttribute()
    {
        if (UnavailableReason.Value is { } reason)
        {
            Skip = $"needs a tap in a private network namespace: {reason}";
        }
    }

    private static string? Probe()
    {
        if (Environment.UserName != "root")
        {
            return "not running as root";
        }
        if (!File.Exists("/dev/net/tun"))
        {
            return "/dev/net/tun is missing (modprobe tun)";
        }
        string[] tools = ["ip", "nsenter"];
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':');
        string? missing = tools.FirstOrDefault(tool => !path.Any(dir => File.Exists(Path.Combine(dir, tool))));
        return missing is null ? null : $"'{missing}' is not on PATH";
    }
}
