using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Cli;

/// <summary>The ContainerConfig of `create`, from flags; the command line comes after `--`.</summary>
internal static class ContainerConfigOptions
{
    public const string Help =
        "  container flags: --container-name N (required) --image REF (required) [--workdir DIR] [--env K=V]...\n" +
        "             [--mount HOST:CONTAINER[:ro]]... [--log-path REL] [--annotation k=v]...\n" +
        "             [--privileged true|false] (a privileged container needs a privileged pod)  -- COMMAND [ARG...]";

    public static ContainerConfig Read(ProbeArguments args, PodSandboxConfig pod)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = args.Required("container-name") },
            Image = new ImageSpec { Image = args.Required("image") },
            WorkingDir = args.Optional("workdir") ?? "",
            LogPath = args.Optional("log-path") ?? "",
            Linux = new LinuxContainerConfig
            {
                SecurityContext = new LinuxContainerSecurityContext
                {
                    Privileged = args.Boolean("privileged"),
                    NamespaceOptions = PodConfigOptions.ContainerNamespaces(pod),
                },
            },
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
