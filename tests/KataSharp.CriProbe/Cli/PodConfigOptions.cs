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
        "             [--sysctl k=v]... [--port HOSTPORT:CONTAINERPORT]... (TCP hostPorts) [--privileged true|false]";

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
        config.Labels.Add(args.Pairs("label"));
        config.Annotations.Add(args.Pairs("pod-annotation"));
        return config;
    }

    /// <summary>The same namespace modes for a container of that pod (CRI reads them per container too).</summary>
    public static NamespaceOption ContainerNamespaces(PodSandboxConfig pod) =>
        pod.Linux.SecurityContext.NamespaceOptions.Clone();

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
