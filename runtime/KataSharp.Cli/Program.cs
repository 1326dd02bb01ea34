using KataSharp.Cli.Commands;

// katasharp: host-side tooling around the containerd shim.
const string Usage = """
    usage: katasharp <command>
      check      can this host run pods in KataSharp microVMs (KVM, guest assets, containerd)?
      env        the configuration the shim would use, resolved, with its paths
      install    install binaries, guest assets, the default configuration and the containerd handler
                 [--kernel VMLINUX] [--initrd INITRD] [--root DIR] [--containerd-config PATH] [--no-containerd]
      runtimeclass  the Kubernetes RuntimeClass manifest (handler katasharp) with the pod overhead of
                 the configuration in effect: `katasharp runtimeclass | kubectl apply -f -`
      version    this build's version and git commit (also --version)
    """;

try
{
    return args.FirstOrDefault() switch
    {
        "check" => CheckCommand.Run(Console.Out, ContainerdRegistration.DefaultConfigPath),
        "env" => EnvCommand.Run(Console.Out),
        "install" => InstallCommand.Run(InstallCommand.ParseOptions(args[1..]), Console.Out),
        "runtimeclass" => RuntimeClassCommand.Run(Console.Out),
        "version" or "--version" => VersionCommand.Run(Console.Out),
        "help" or "--help" or "-h" => Print(Usage, 0),
        _ => Print(Usage, 2),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException)
{
    Console.Error.WriteLine($"katasharp: {e.Message}");
    return 1;
}

static int Print(string text, int code)
{
    (code == 0 ? Console.Out : Console.Error).WriteLine(text);
    return code;
}
