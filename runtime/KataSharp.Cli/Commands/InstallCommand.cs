using System.CommandLine;
using System.Reflection;
using KataSharp.Runtime.Configuration;

namespace KataSharp.Cli.Commands;

/// <summary>
/// `katasharp install`: idempotent. Binaries (from next to this one) into /usr/local/bin, guest
/// assets into /usr/share/katasharp, the default configuration there too, /etc/katasharp's copy
/// only when absent (an admin's edits are never overwritten), and the CRI handler in containerd's
/// config when missing. Every path can be re-rooted with --root for a staging tree or a test.
/// </summary>
public static class InstallCommand
{
    public sealed record Options(string Root, string? Kernel, string? Initrd, bool RegisterWithContainerd, string ContainerdConfig);

    private static readonly string[] Binaries = ["katasharp", Installation.ShimBinary, Installation.SandboxVmmBinary, "katasharp-vmm"];

    public static Command Create()
    {
        var kernel = new Option<string>("--kernel") { HelpName = "VMLINUX", Description = $"the guest kernel to install as {Installation.AssetDirectory}/{Installation.KernelFile} (guest-image/kernel/build-kernel.sh builds it)" };
        var initrd = new Option<string>("--initrd") { HelpName = "INITRD", Description = $"the guest initrd to install as {Installation.AssetDirectory}/{Installation.InitrdFile} (guest-image/initrd/build-initrd.sh builds it)" };
        var root = new Option<string>("--root") { HelpName = "DIR", Description = "install under DIR instead of / (a staging tree)", DefaultValueFactory = _ => "/" };
        var containerdConfig = new Option<string>("--containerd-config")
        {
            HelpName = "PATH",
            Description = "the containerd configuration to register the CRI handler in",
            DefaultValueFactory = _ => ContainerdRegistration.DefaultConfigPath,
        };
        var noContainerd = new Option<bool>("--no-containerd") { Description = "leave containerd's configuration alone" };
        var command = new Command("install", "install binaries, guest assets, the default configuration and the containerd handler (idempotent)")
        {
            kernel, initrd, root, containerdConfig, noContainerd,
        };
        command.SetAction(result => Run(
            new Options(result.GetValue(root)!, result.GetValue(kernel), result.GetValue(initrd), !result.GetValue(noContainerd), result.GetValue(containerdConfig)!),
            result.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(Options options, TextWriter output)
    {
        string Rooted(string path) => Path.Combine(options.Root, path.TrimStart('/'));
        string sourceDirectory = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";

        foreach (string name in Binaries)
        {
            string source = Path.Combine(sourceDirectory, name);
            if (File.Exists(source))
            {
                Copy(source, Rooted(Path.Combine(Installation.BinaryDirectory, name)), output, executable: true);
            }
            else if (name != "katasharp-vmm")
            {
                output.WriteLine($"skip    {name}: not found next to this binary ({sourceDirectory}); run scripts/publish.sh first");
            }
        }
        string assets = Rooted(Installation.AssetDirectory);
        foreach (var (source, file, what) in new[] { (options.Kernel, Installation.KernelFile, "--kernel"), (options.Initrd, Installation.InitrdFile, "--initrd") })
        {
            if (source is null)
            {
                if (!File.Exists(Path.Combine(assets, file)))
                {
                    output.WriteLine($"missing {Path.Combine(assets, file)}: pass {what} (guest-image/ builds it)");
                }
                continue;
            }
            if (!File.Exists(source))
            {
                throw new ArgumentException($"{what} {source}: no such file");
            }
            Copy(source, Path.Combine(assets, file), output, executable: false);
        }

        byte[] defaults = DefaultConfiguration();
        WriteIfChanged(Rooted(ConfigurationLoader.InstalledDefaultPath), defaults, output);
        string system = Rooted(ConfigurationLoader.SystemPath);
        if (File.Exists(system))
        {
            output.WriteLine($"keep    {system} (exists; never overwritten)");
        }
        else
        {
            WriteIfChanged(system, defaults, output);
        }

        if (options.RegisterWithContainerd)
        {
            string config = Rooted(options.ContainerdConfig);
            string text = File.Exists(config) ? File.ReadAllText(config) : "";
            string updated = ContainerdRegistration.Register(text, text.Trim().Length == 0 ? ContainerdVersion.ConfigVersionForInstalled() : 2);
            if (updated == text)
            {
                output.WriteLine($"keep    {config} (CRI handler \"{ContainerdRegistration.Handler}\" present)");
            }
            else
            {
                WriteIfChanged(config, System.Text.Encoding.UTF8.GetBytes(updated), output);
                output.WriteLine($"        restart containerd to load the \"{ContainerdRegistration.Handler}\" handler (systemctl restart containerd)");
            }
        }
        return 0;
    }

    private static byte[] DefaultConfiguration()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("configuration.toml")
            ?? throw new InvalidOperationException("the default configuration.toml is not embedded in this binary");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static void Copy(string source, string destination, TextWriter output, bool executable)
    {
        byte[] content = File.ReadAllBytes(source);
        if (WriteIfChanged(destination, content, output) && executable)
        {
            File.SetUnixFileMode(destination, (UnixFileMode)0x1ed /* 0755 */);
        }
    }

    /// <summary>Replaces the file atomically (a running binary keeps its old inode); false when already identical.</summary>
    private static bool WriteIfChanged(string path, byte[] content, TextWriter output)
    {
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(content))
        {
            output.WriteLine($"same    {path}");
            return false;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".katasharp-new";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
        output.WriteLine($"wrote   {path}");
        return true;
    }
}
