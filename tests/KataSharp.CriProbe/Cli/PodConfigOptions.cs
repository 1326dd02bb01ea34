using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Cli;

/// <summary>
/// The PodSandboxConfig a kubelet would send, from flags. `runp` sends it to RunPodSandbox and
/// `create` sends the same again with CreateContainer (CRI wants the pod's config there too).
/// </summary>
internal static class PodConfigOptions
{
    public const string Help =
        "  pod flags: --name N (required) [--namespace NS] [--uid U] [--attempt N] [--hostname H] [--log-dir DIR]\n" +
        "             [--network pod|node] [--ipc pod|node] [--pid pod|container|node] [--label k=v]... [--pod-annotation k=v]...\n" +
        "             [--sysctl k=v]... [--port HOSTPORT:CONTAINERPORT]... (TCP hostPorts) [--privileged true|false]\n" +
        "             [--dns-server IP]... [--dns-search DOMAIN]... [--dns-option OPT]... (the pod's resolv.conf;\n" +
        "             with none of them containerd copies the node's /etc/resolv.conf)";

    public static PodSandboxConfig Read(ProbeArguments args)
    {
        string name = args.Required("name");
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata
            {
                Name = name,
                Namespace = args.Optional("namespace") ?? "default",
                Uid = args.Optional("uid") ?? $"{name}-uid",
                Attempt = (uint)args.Number("attempt", 0),
            },
            Hostname = args.Optional("hostname") ?? "",
            LogDirectory = args.Optional("log-dir") ?? "",
            Linux = new LinuxPodSandboxConfig
            {
                SecurityContext = new LinuxSandboxSecurityContext
                {
                    Privileged = args.Boolean("privileged"),
                    NamespaceOptions = new NamespaceOption
                    {
                        Network = Mode(args, "network", NamespaceMode.Pod),
                        Ipc = Mode(args, "ipc", NamespaceMode.Pod),
                        // The kubelet sends CONTAINER for every v1 pod unless it shares the process namespace.
                        Pid = Mode(args, "pid", NamespaceMode.Container),
                    },
                },
            },
        };
        config.Linux.Sysctls.Add(args.Pairs("sysctl"));
        foreach (string port in args.All("port"))
        {
            config.PortMappings.Add(ParsePort(port));
        }
        config.DnsConfig = ReadDns(args);
        config.Labels.Add(args.Pairs("label"));
        config.Annotations.Add(args.Pairs("pod-annotation"));
        return config;
    }

    /// <summary>The same namespace modes for a container of that pod (CRI reads them per container too).</summary>
    public static NamespaceOption ContainerNamespaces(PodSandboxConfig pod) =>
        pod.Linux.SecurityContext.NamespaceOptions.Clone();

    /// <summary>
    /// dns_config as the kubelet builds it from dnsPolicy/dnsConfig; null when no DNS flag is given
    /// (then containerd 1.6 copies the node's resolv.conf into the pod, as it did before these flags).
    /// </summary>
    private static DNSConfig? ReadDns(ProbeArguments args)
    {
        IReadOnlyList<string> servers = args.All("dns-server");
        IReadOnlyList<string> searches = args.All("dns-search");
        IReadOnlyList<string> options = args.All("dns-option");
        if (servers.Count == 0 && searches.Count == 0 && options.Count == 0)
        {
            return null;
        }
        foreach (string server in servers)
        {
            // The API server validates nameservers as IP addresses; containerd writes them unchecked.
            if (!System.Net.IPAddress.TryParse(server, out _))
            {
                throw new ProbeException($"--dns-server '{server}' is not an IP address");
            }
        }
        var dns = new DNSConfig();
        dns.Servers.Add(servers);
        dns.Searches.Add(searches);
        dns.Options.Add(options);
        return dns;
    }

    private static PortMapping ParsePort(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 2 || !ushort.TryParse(parts[0], out ushort host) || !ushort.TryParse(parts[1], out ushort container) || host == 0 || container == 0)
        {
            throw new ProbeException($"--port '{text}' must be HOSTPORT:CONTAINERPORT, both 1-65535");
        }
        return new PortMapping { Protocol = Protocol.Tcp, HostPort = host, ContainerPort = container };
    }

    private static NamespaceMode Mode(ProbeArguments args, string name, NamespaceMode fallback) =>
        args.Optional(name) switch
        {
            null => fallback,
            "pod" => NamespaceMode.Pod,
            "container" => NamespaceMode.Container,
            "node" => NamespaceMode.Node,
            string other => throw new ProbeException($"--{name} '{other}' is not one of pod, container, node"),
        };
}
