using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using KataSharp.Linux;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Machine;

namespace KataSharp.Vmm.Cli;

/// <summary>
/// katasharp-vmm's options as System.CommandLine symbols (no reflection: NativeAOT-clean), which give
/// --help and --version. <see cref="CliOptions.From"/> turns a parse into the options the VMM runs
/// with, in the words of the hand-written parser this replaced (the integration tests read them).
/// </summary>
public sealed class VmmCommandLine
{
    public const string Description = """
        Boots a Linux kernel (uncompressed vmlinux or bzImage) on /dev/kvm and streams its console.
        Devices are virtio-mmio; each adds a virtio_mmio.device= kernel parameter.

        Exit status: 0 the guest rebooted or powered off; 2 kernel panic; 3 the guest crashed
        (triple fault); 4 VMM or KVM error; 64 bad arguments or configuration; 130 interrupted.
        """;

    public VmmCommandLine()
    {
        Root = new RootCommand(Description)
        {
            Kernel, Initrd, Cmdline, Vcpus, Memory, Console, Disk, VsockSocket, Cid, Rng, Net, Control,
        };
        foreach (VersionOption version in Root.Options.OfType<VersionOption>())
        {
            version.Action = new PrintVersion();
        }
    }

    public RootCommand Root { get; }

    public Option<string> Kernel { get; } = new("--kernel") { HelpName = "FILE", Description = "the kernel image (required)" };

    public Option<string> Initrd { get; } = new("--initrd") { HelpName = "FILE", Description = "an initramfs (cpio, optionally compressed)" };

    public Option<string> Cmdline { get; } = new("--cmdline")
    {
        HelpName = "TEXT",
        Description = "kernel command line: keep console=ttyS0 for output, reboot=k so a reboot stops the VM, panic=-1 so a panic stops it too",
        DefaultValueFactory = _ => KernelCmdline.Default,
    };

    public Option<int> Vcpus { get; } = new("--vcpus")
    {
        HelpName = "N",
        Description = "virtual CPUs, 1-64",
        DefaultValueFactory = _ => 1,
        CustomParser = result => WholeNumber(result, "--vcpus"),
    };

    public Option<int> Memory { get; } = new("--memory")
    {
        HelpName = "MIB",
        Description = "guest RAM in MiB, at least 64; a G suffix means GiB",
        DefaultValueFactory = _ => MachineBuilder.DefaultMemoryMiB,
        CustomParser = ParseMemory,
    };

    public Option<string> Console { get; } = new("--console") { HelpName = "FILE", Description = "write the guest console to FILE instead of stdout" };

    public Option<string[]> Disk { get; } = new("--disk")
    {
        HelpName = "SPEC",
        Description = "a virtio-blk disk, repeatable. SPEC is PATH or \"empty\" (a slot with no medium, capacity 0), then " +
            "comma-separated flags: ro, serial=TEXT (at most 20 characters, default the name), name=NAME (default blk0, blk1, ...). " +
            "Disks appear in the guest as /dev/vda, /dev/vdb, ... in this order.",
    };

    public Option<string> VsockSocket { get; } = new("--vsock-socket")
    {
        HelpName = "PATH",
        Description = "a virtio-vsock device; host clients connect to PATH and write \"CONNECT <port>\\n\"; guest connections to port P go to PATH_P",
    };

    public Option<string> Cid { get; } = new("--cid") { HelpName = "N", Description = "the guest's vsock CID (default 3)" };

    public Option<bool> Rng { get; } = new("--rng") { Description = "a virtio-rng device fed by the host's getrandom" };

    public Option<string[]> Net { get; } = new("--net")
    {
        HelpName = "SPEC",
        Description = "a virtio-net device on a tap, repeatable. SPEC is tap=NAME (opened, or created, in this process's network " +
            "namespace; needs CAP_NET_ADMIN) or fd=N (an inherited descriptor of a tap attached with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), " +
            "then comma-separated flags: mac=MAC (default random 02:xx:xx:xx:xx:xx), mtu=N (offered to the guest), name=NAME " +
            "(default net0, net1, ...). The guest sees eth0, eth1, ... in this order.",
    };

    public Option<string> Control { get; } = new("--control")
    {
        HelpName = "PATH",
        Description = "a control socket for changes after boot, one command per connection: \"attach NAME PATH [SERIAL]\" or \"detach NAME\"; answers \"OK\" or \"ERR why\"",
    };

    /// <summary>Parses without response files: a path starting with @ is a path, not a file of more arguments.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    private static int WholeNumber(ArgumentResult result, string option) => WholeNumber(result, option, Text(result));

    private static int WholeNumber(ArgumentResult result, string option, string text)
    {
        if (int.TryParse(text, out int value))
        {
            return value;
        }
        result.AddError($"{option} takes a whole number, not '{text}'");
        return 0;
    }

    private static int ParseMemory(ArgumentResult result)
    {
        string text = Text(result);
        bool gib = text.EndsWith('G') || text.EndsWith('g');
        string digits = gib || text.EndsWith('M') || text.EndsWith('m') ? text[..^1] : text;
        int value = WholeNumber(result, "--memory", digits);
        if (gib && value > int.MaxValue / 1024)
        {
            result.AddError($"--memory {text} is more than this VMM can address");
            return 0;
        }
        return gib ? value * 1024 : value;
    }

    private static string Text(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    /// <summary>The build's version and commit, as every KataSharp binary prints it (the library's own prints the bare assembly version).</summary>
    internal sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildVersion.Current.Line("katasharp-vmm"));
            return ExitCodes.GuestExited;
        }
    }
}
