using KataSharp.Linux;

namespace KataSharp.Agent.Sandbox;

/// <summary>Facts about the guest for GetGuestDetails, read from /proc and the agent itself.</summary>
public static class SandboxInfo
{
    /// <summary>The version alone ("0.1.0") for GetGuestDetails; the start-up log line adds the commit.</summary>
    public static string AgentVersion => BuildVersion.Current.Version;

    public static string KernelRelease() => ReadTrimmed("/proc/sys/kernel/osrelease");

    public static bool SeccompSupported() =>
        File.Exists("/proc/self/status") && File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Seccomp:", StringComparison.Ordinal));

    public static ulong MemoryTotalBytes()
    {
        string? line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        string[] parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return parts.Length >= 2 && ulong.TryParse(parts[1], out ulong kb) ? kb * 1024 : 0;
    }

    /// <summary>VmRSS of this process in bytes.</summary>
    public static ulong AgentRssBytes()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        string[] parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return parts.Length >= 2 && ulong.TryParse(parts[1], out ulong kb) ? kb * 1024 : 0;
    }

    /// <summary>Milliseconds since boot (CLOCK_BOOTTIME through /proc/uptime; no suspend happens in a microVM).</summary>
    public static ulong UptimeMilliseconds()
    {
        string text = ReadTrimmed("/proc/uptime");
        string seconds = text.Split(' ')[0];
        return double.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out double s) ? (ulong)(s * 1000) : 0;
    }

    private static string ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";
}
