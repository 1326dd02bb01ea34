using System.CommandLine;
using System.CommandLine.Help;
using System.Runtime.InteropServices;
using KataSharp.Vmm;
using KataSharp.Vmm.Cli;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Lifecycle;

// katasharp-vmm: the VMM library on its own. Streams the guest console, exits with the guest.
var commandLine = new VmmCommandLine();
ParseResult parsed = commandLine.Parse(args);
if (args.Length == 0)
{
    // As before: nothing to boot is bad input, with the help on stdout.
    commandLine.Parse(["--help"]).Invoke();
    return ExitCodes.BadInput;
}
if (parsed.Action is HelpAction or VmmCommandLine.PrintVersion)
{
    return parsed.Invoke(); // --help or --version
}

CliOptions options;
try
{
    options = CliOptions.From(commandLine, parsed);
}
catch (CliUsageException e)
{
    return Fail(ExitCodes.BadInput, $"{e.Message}\nrun 'katasharp-vmm --help' for the options");
}

Stream console;
try
{
    // Buffered: the machine flushes at every newline, so a console line costs one write(2), not one per byte.
    console = options.ConsoleFile is null
        ? new BufferedStream(Console.OpenStandardOutput(), 4096)
        : new FileStream(options.ConsoleFile, FileMode.Create, FileAccess.Write, FileShare.Read);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    return Fail(ExitCodes.BadInput, $"cannot write the console to '{options.ConsoleFile}': {e.Message}");
}

using (console)
{
    // Devices: created with the machine (their virtio_mmio.device= entries join the command line).
    IReadOnlyList<VirtioDeviceSpec> devices;
    try
    {
        devices = [.. options.Devices.Specs()];
    }
    catch (CliUsageException e)
    {
        return Fail(ExitCodes.BadInput, e.Message);
    }
    MicroVm vm;
    try
    {
        vm = MicroVm.Create(new MicroVmConfig
        {
            Kernel = options.Kernel,
            Initrd = options.Initrd,
            Cmdline = options.Cmdline,
            Vcpus = options.Vcpus,
            MemoryMiB = options.MemoryMiB,
            Console = console,
            Devices = devices,
        });
    }
    catch (VmmException e)
    {
        return e.Failure == VmmFailure.BadConfiguration
            ? Fail(ExitCodes.BadInput, e.Option is { } option ? $"--{option}: {e.Message}" : e.Message)
            : Fail(ExitCodes.VmmError, e.Message);
    }

    using (vm)
    {
        ControlServer? control;
        try
        {
            control = options.Devices.ControlSocket is { } path ? ControlServer.Start(path, vm) : null;
        }
        catch (CliUsageException e)
        {
            return Fail(ExitCodes.BadInput, e.Message);
        }
        using var controlServer = control;

        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            vm.RequestExit(new VmExit(VmExitReason.HostStop, $"interrupted by {context.Signal}"));
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

        try
        {
            vm.Start();
        }
        catch (VmmException e)
        {
            return Fail(ExitCodes.VmmError, e.Message);
        }
        VmExit exit = vm.WaitForExitAsync().GetAwaiter().GetResult();
        int code = ExitCodes.For(exit);
        if (code == ExitCodes.GuestExited)
        {
            return code;
        }
        string tail = vm.ConsoleTail.LastLines(40);
        return Fail(code, $"{Describe(exit)}{(exit.Diagnostics is null ? "" : $"\n{exit.Diagnostics}")}\n" +
            $"--- last lines of the guest console ---\n{(tail.Length == 0 ? "(the guest printed nothing)" : tail)}");
    }
}

static string Describe(VmExit exit) => exit.Reason switch
{
    VmExitReason.GuestPanic => $"the guest kernel panicked: {exit.Message}",
    VmExitReason.GuestShutdown => $"the guest crashed: {exit.Message}",
    VmExitReason.HostStop => $"stopped: {exit.Message}",
    _ => $"VMM error: {exit.Message}",
};

static int Fail(int code, string message)
{
    Console.Error.WriteLine($"katasharp-vmm: {message}");
    return code;
}
