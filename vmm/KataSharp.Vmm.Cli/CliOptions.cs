using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Machine;

namespace KataSharp.Vmm.Cli;

/// <summary>katasharp-vmm's command line, parsed and checked for form (the builder checks the values).</summary>
public sealed record CliOptions(string Kernel, string? Initrd, string Cmdline, int Vcpus, int MemoryMiB, string? ConsoleFile)
{
    /// <summary>virtio devices and the control socket (parsed by <see cref="DeviceOptions"/>).</summary>
    public DeviceOptions Devices { get; init; } = new();

    public const string Usage = """
        usage: katasharp-vmm --kernel FILE [--initrd FILE] [--cmdline TEXT] [--vcpus N] [--memory MIB] [--console FILE]
               katasharp-vmm --version   this build's version and git commit

        Boots a Linux kernel (uncompressed vmlinux or bzImage) on /dev/kvm and streams its console.
          --kernel FILE    the kernel image (required)
          --initrd FILE    an initramfs (cpio, optionally compressed)
          --cmdline TEXT   kernel command line (default: "console=ttyS0 reboot=k panic=-1")
                           keep console=ttyS0 for output, reboot=k so a reboot stops the VM,
                           panic=-1 so a panic stops it too
          --vcpus N        virtual CPUs, 1-64 (default 1)
          --memory MIB     guest RAM in MiB, at least 64 (default 128); a G suffix means GiB
          --console FILE   write the guest console to FILE instead of stdout

        Exit status: 0 the guest rebooted or powered off; 2 kernel panic; 3 the guest crashed
        (triple fault); 4 VMM or KVM error; 64 bad arguments or configuration; 130 interrupted.
        """ + "\n\n" + DeviceOptions.Usage;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="CliUsageException"/> naming the problem.</summary>
    public static CliOptions Parse(IReadOnlyList<string> args)
    {
        string? kernel = null, initrd = null, console = null;
        string cmdline = KernelCmdline.Default;
        int vcpus = 1, memory = MachineBuilder.DefaultMemoryMiB;
        var devices = new DeviceOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new CliUsageException($"{arg} needs a value");
            switch (arg)
            {
                case "--kernel": kernel = Value(); break;
                case "--initrd": initrd = Value(); break;
                case "--cmdline": cmdline = Value(); break;
                case "--console": console = Value(); break;
                case "--vcpus": vcpus = Number(arg, Value()); break;
                case "--memory": memory = ParseMemory(Value()); break;
                default:
                    if (!devices.TryParse(arg, Value))
                    {
                        throw new CliUsageException($"unknown argument '{arg}'");
                    }
                    break;
            }
        }
        if (kernel is null)
        {
            throw new CliUsageException("--kernel is required");
        }
        devices.Specs(); // reports device option mistakes now, with the usage text
        return new CliOptions(kernel, initrd, cmdline, vcpus, memory, console) { Devices = devices };
    }

    private static int Number(string option, string text) =>
        int.TryParse(text, out int value) ? value : throw new CliUsageException($"{option} takes a whole number, not '{text}'");

    private static int ParseMemory(string text)
    {
        bool gib = text.EndsWith('G') || text.EndsWith('g');
        string digits = gib || text.EndsWith('M') || text.EndsWith('m') ? text[..^1] : text;
        int value = Number("--memory", digits);
        return gib ? checked(value * 1024) : value;
    }
}
