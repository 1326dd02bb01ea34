using System.Text;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Sandbox;

/// <summary>Guest-wide settings from CreateSandbox: hostname (the agent's UTS namespace), resolv.conf, sysctls.</summary>
public sealed class GuestSettings(string etcDir, string procSys = "/proc/sys")
{
    public void SetHostname(string hostname)
    {
        if (hostname.Length is 0 or > 64 || hostname.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw AgentException.Invalid("hostname", $"'{hostname}' is not a hostname (1-64 printable characters)");
        }
        File.WriteAllText(Path.Combine(procSys, "kernel", "hostname"), hostname);
    }

    public void WriteResolvConf(IReadOnlyList<string> servers, IReadOnlyList<string> searches, IReadOnlyList<string> options)
    {
        var text = new StringBuilder();
        foreach (string server in servers)
        {
            if (!System.Net.IPAddress.TryParse(server, out _))
            {
                throw AgentException.Invalid("dns.servers", $"'{server}' is not an IP address");
            }
            text.Append("nameserver ").Append(server).Append('\n');
        }
        if (searches.Count > 0)
        {
            text.Append("search ").Append(string.Join(' ', searches)).Append('\n');
        }
        if (options.Count > 0)
        {
            text.Append("options ").Append(string.Join(' ', options)).Append('\n');
        }
        Directory.CreateDirectory(etcDir);
        string path = Path.Combine(etcDir, "resolv.conf");
        File.WriteAllText(path + ".tmp", text.ToString());
        File.Move(path + ".tmp", path, overwrite: true);
    }

    public void SetSysctl(string key, string value)
    {
        if (key.Length == 0 || key.Contains('/') || key.Split('.').Any(p => p.Length == 0 || p == ".."))
        {
            throw AgentException.Invalid($"sysctls[{key}]", "is not a sysctl name like net.ipv4.ip_forward");
        }
        string path = Path.Combine(procSys, key.Replace('.', '/'));
        if (!File.Exists(path))
        {
            throw AgentException.Invalid($"sysctls[{key}]", "does not exist in the guest kernel");
        }
        File.WriteAllText(path, value);
    }
}
