namespace KataSharp.Cli.Commands;

/// <summary>Where `katasharp install` puts things, and where the other commands look for them.</summary>
public static class Installation
{
    public const string BinaryDirectory = "/usr/local/bin";
    public const string AssetDirectory = "/usr/share/katasharp";
    public const string ShimBinary = "containerd-shim-katasharp-v2";
    /// <summary>The confined VMM process the shim starts for every sandbox, looked for next to the shim.</summary>
    public const string SandboxVmmBinary = "katasharp-sandbox-vmm";
    public const string KernelFile = "vmlinux";
    public const string InitrdFile = "katasharp-initrd.img";

    /// <summary>The shim as containerd would find it: its PATH, then next to the containerd binary.</summary>
    public static string? FindShim()
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).ToList();
        directories.Add("/usr/bin");
        return directories.Select(d => Path.Combine(d, ShimBinary)).FirstOrDefault(File.Exists);
    }
}
