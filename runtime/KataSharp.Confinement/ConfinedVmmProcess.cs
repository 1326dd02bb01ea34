using System.Net.NetworkInformation;
using System.Text.Json;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Memory;
using KataSharp.Linux.Sockets;
using KataSharp.Runtime.Memory;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Sandbox;
using KataSharp.Vmm;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Metrics;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Confinement;

/// <summary>
/// The VMM process (`katasharp-sandbox-vmm SPEC`): builds the VM from the spec with the descriptors it
/// inherited, confines itself (<see cref="VmmConfinement"/>), starts the vCPUs, serves the control channel (media changes,
/// stop) and reports the VM's end there before it exits. The guest console goes to stdout, its own log lines to stderr;
/// both are pipes the shim reads. When the shim goes away (the channel closes) the VM is stopped: a VMM never outlives
/// its shim.
/// </summary>
public static class ConfinedVmmProcess
{
    /// <summary>The vsock socket's name, relative: bound in the root's directory before the pivot and still valid after it.</summary>
    public static readonly string VsockSocketName = Path.GetFileName(SandboxPaths.VsockSocket("/"));

    /// <summary>The binary's name: the shim looks for it next to itself.</summary>
    public const string ProgramName = "katasharp-sandbox-vmm";

    public static int Run(string specPath)
    {
        using var channel = new VmmChannel(SeqPacketSocket.FromDescriptor(new FileDescriptor(VmmDescriptors.Control)));
        var log = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true });
        VmmProcessSpec spec;
        try
        {
            spec = JsonSerializer.Deserialize(File.ReadAllBytes(specPath), VmmJsonContext.Default.VmmProcessSpec)
                ?? throw new InvalidDataException("the spec is JSON null");
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or UnauthorizedAccessException)
        {
            channel.Send(new VmmMessage("failed") { Reason = nameof(VmmFailure.HostFailure), Error = $"cannot read the VMM spec {specPath}: {e.Message}" });
            return 1;
        }
        if (spec.Build != BuildVersion.Current)
        {
            channel.Send(new VmmMessage("failed")
            {
                Reason = nameof(VmmFailure.HostFailure),
                Error = $"{Environment.ProcessPath} is {BuildVersion.Current.Line(ProgramName)} but the shim is version {spec.Build.Version} " +
                    $"(commit {spec.Build.Commit}): install both from one build (`katasharp install`)",
            });
            return 1;
        }

        using var console = new BufferedStream(Console.OpenStandardOutput(), 4096);
        MicroVm vm;
        try
        {
            // The vsock socket is bound relative to the root-to-be, so its name stays right after the pivot.
            Directory.SetCurrentDirectory(spec.Root);
            vm = MicroVm.Create(new MicroVmConfig
            {
                Kernel = spec.Kernel,
                Initrd = spec.Initrd,
                Cmdline = spec.Cmdline,
                Vcpus = spec.Vcpus,
                MemoryMiB = spec.MemoryMib,
                Console = console,
                Log = message => log.WriteLine(message),
                Devices = Devices(spec),
            });
        }
        catch (VmmException e)
        {
            channel.Send(new VmmMessage("failed") { Reason = e.Failure.ToString(), Error = e.Message, Option = e.Option, Diagnostics = e.GetType().Name });
            return 1;
        }
        catch (Exception e) when (e is IOException or LinuxException or UnauthorizedAccessException)
        {
            channel.Send(new VmmMessage("failed") { Reason = nameof(VmmFailure.HostFailure), Error = e.Message });
            return 1;
        }

        using (vm)
        {
            IReadOnlyList<ImageRange> image;
            try
            {
                // Before the pivot leaves /proc behind. They stay valid for the process's life: a NativeAOT binary never
                // writes its image after start (no JIT, no code patching), so they stay the file's pages.
                image = ExecutableImagePages.FindUnmodifiedReadOnlyRanges();
                VmmConfinement.Apply(spec, message => log.WriteLine(message));
                channel.Send(new VmmMessage("ready") { Cmdline = vm.KernelCmdline });
                vm.Start();
            }
            catch (Exception e) when (e is VmmException or LinuxException or IOException or ArgumentException)
            {
                channel.Send(new VmmMessage("failed") { Reason = nameof(VmmFailure.HostFailure), Error = $"confining the VMM failed: {e.Message}" });
                return 1;
            }
            var shimDone = new ManualResetEventSlim(); // not disposed: the control thread may still set it as the process ends
            var serving = new Thread(() => Serve(channel, vm, image, spec.TestHooks, log, shimDone), ThreadStacks.MaxStackSize) { Name = "vmm-control", IsBackground = true };
            serving.Start();
            VmExit exit = vm.WaitForExitAsync().GetAwaiter().GetResult();
            vm.Stop();
            try
            {
                channel.Send(new VmmMessage("exit") { Reason = exit.Reason.ToString(), Error = exit.Message, Diagnostics = exit.Diagnostics });
                // The shim learns of the VM's end from this report before the vsock connections close (disposing the
                // VM closes them): otherwise the agent's streams ending would look like an unreachable agent first.
                shimDone.Wait(ShimAcknowledgeTimeout);
            }
            catch (LinuxException)
            {
                // The shim is gone: nobody to tell.
            }
        }
        return 0;
    }

    private static List<VirtioDeviceSpec> Devices(VmmProcessSpec spec)
    {
        var devices = new List<VirtioDeviceSpec>(BlockSlots.Names(spec.BlockSlots).Select(name => new BlockDeviceSpec(name, Path: null, ReadOnly: false, Serial: name)))
        {
            new VsockDeviceSpec(spec.GuestCid, VsockSocketName),
            new RngDeviceSpec(),
        };
        foreach (VmmNetSpec net in spec.Nets)
        {
            devices.Add(new NetDeviceSpec(net.Name, PhysicalAddress.Parse(net.Mac))
            {
                TapDescriptor = new FileDescriptor(net.TapFd),
                Mtu = (ushort)net.Mtu,
                Datapath = net.Vhost ? NetDatapath.Vhost : NetDatapath.Userspace,
            });
        }
        return devices;
    }

    /// <summary>How long the VMM waits, after reporting the VM's end, for the shim to stop it.</summary>
    private static readonly TimeSpan ShimAcknowledgeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The control channel: one command at a time, each answered. Its end (the shim closed it, or died) stops the VM.</summary>
    private static void Serve(VmmChannel channel, MicroVm vm, IReadOnlyList<ImageRange> image, bool testHooks, TextWriter log, ManualResetEventSlim shimDone)
    {
        while (true)
        {
            VmmMessage? message;
            FileDescriptor? descriptor;
            try
            {
                message = channel.Receive(out descriptor);
            }
            catch (Exception e) when (e is InvalidDataException or LinuxException)
            {
                log.WriteLine($"control channel: {e.Message}");
                continue;
            }
            if (message is null)
            {
                vm.RequestExit(new VmExit(VmExitReason.HostStop, "the shim closed the control channel"));
                shimDone.Set();
                return;
            }
            string? error = null;
            JsonElement? metrics = null;
            try
            {
                switch (message.Op)
                {
                    case "insert" when descriptor is not null && message.Slot is not null:
                        FileDescriptor medium = descriptor;
                        descriptor = null;
                        vm.InsertMedium(message.Slot, medium, message.Label ?? "(medium)", message.Serial, message.ReadOnly);
                        break;
                    case "eject" when message.Slot is not null:
                        vm.EjectMedium(message.Slot);
                        break;
                    case "metrics":
                        metrics = JsonSerializer.SerializeToElement(
                            [.. VmMetrics.Of(vm).Select(m => new VmmMetricWire(m.Name, new Dictionary<string, string>(m.Labels), m.Value))],
                            VmmJsonContext.Default.ListVmmMetricWire);
                        break;
                    case "trim":
                        // What booting the VM left: its heap garbage, and the binary's pages only the boot used
                        // (KataSharp.Runtime.Memory.MemoryTrim asks once the pod is quiet).
                        MemoryTrim.CompactHeap();
                        ExecutableImagePages.Release(image);
                        break;
                    case "stop":
                        vm.RequestExit(new VmExit(VmExitReason.HostStop, message.Error ?? "stopped by the shim"));
                        shimDone.Set();
                        continue;
                    case "forbidden-syscall" when testHooks:
                        ForbiddenSyscall.Make();
                        break;
                    default:
                        error = $"unknown or incomplete command '{message.Op}'";
                        break;
                }
            }
            catch (Exception e) when (e is VmmException or LinuxException)
            {
                error = e.Message;
            }
            finally
            {
                descriptor?.Dispose();
            }
            try
            {
                var reply = new VmmMessage("reply") { Id = message.Id, Error = error, Metrics = metrics };
                if (metrics is not null && JsonSerializer.SerializeToUtf8Bytes(reply, VmmJsonContext.Default.VmmMessage).Length > VmmMessage.MaxBytes)
                {
                    // Past the channel's message size the shim would read a cut message and stop this VMM: say so instead.
                    reply = new VmmMessage("reply") { Id = message.Id, Error = $"the metrics answer is over {VmmMessage.MaxBytes} bytes" };
                }
                channel.Send(reply);
            }
            catch (LinuxException)
            {
                vm.RequestExit(new VmExit(VmExitReason.HostStop, "the shim went away"));
                return;
            }
        }
    }
}
