using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Cli;

/// <summary>The ContainerConfig of `create`, from flags; the command line comes after `--`.</summary>
internal static class ContainerConfigOptions
{
    public const string Help =
        "  container flags: --container-name N (required) --image REF (required) [--container-attempt N] [--workdir DIR]\n" +
        "             [--env K=V]... [--mount HOST:CONTAINER[:ro]]... [--log-path REL] [--annotation k=v]...\n" +
        "             [--stdin true|false] [--stdin-once true|false] [--tty true|false] (a pod spec's stdin/stdinOnce/tty)\n" +
        "             [--privileged true|false] (a privileged container needs a privileged pod)  -- COMMAND [ARG...]\n" +
        SecurityContextOptions.Help;

    public static ContainerConfig Read(ProbeArguments args, PodSandboxConfig pod)
    {
        var config = new ContainerConfig
        {
            // The kubelet's restart count for this container name in this pod (the pod flags' --attempt is the sandbox's).
            Metadata = new ContainerMetadata { Name = args.Required("container-name"), Attempt = Attempt(args) },
            Image = new ImageSpec { Image = args.Required("image") },
            WorkingDir = args.Optional("workdir") ?? "",
            LogPath = args.Optional("log-path") ?? "",
            Stdin = args.Boolean("stdin"),
            StdinOnce = args.Boolean("stdin-once"),
            Tty = args.Boolean("tty"),
            Linux = new LinuxContainerConfig { SecurityContext = SecurityContextOptions.Read(args, pod) },
        };
        // Like a pod spec's `command:`: it replaces the image's entrypoint and cmd.
        config.Command.Add(args.Command);
        foreach ((string key, string value) in args.Pairs("env"))
        {
            config.Envs.Add(new KeyValue { Key = key, Value = value });
        }
        foreach (string mount in args.All("mount"))
        {
            config.Mounts.Add(ParseMount(mount));
        }
        config.Annotations.Add(args.Pairs("annotation"));
        return config;
    }

    private static uint Attempt(ProbeArguments args)
    {
        long attempt = args.Number("container-attempt", 0);
        return attempt is >= 0 and <= uint.MaxValue ? (uint)attempt
            : throw new ProbeException($"--container-attempt {attempt} is not 0-{uint.MaxValue}");
    }

    private static Mount ParseMount(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0 || (parts.Length == 3 && parts[2] != "ro"))
        {
            throw new ProbeException($"--mount '{text}' must be HOST:CONTAINER or HOST:CONTAINER:ro");
        }
        return new Mount { HostPath = parts[0], ContainerPath = parts[1], Readonly = parts.Length == 3 };
    }
}
