using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Network;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Telemetry;
using KataSharp.Vmm;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Metrics;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The pod's microVM inside the shim process: the VMM library's machine with the sandbox's devices —
/// <see cref="BlockSlotCount"/> empty virtio-blk slots for layer images (attached read-only) and host block devices
/// (read-only or read-write, as their mount asks), virtio-vsock
/// (in-process connections to the agent; its unix socket in the state directory exists only so guest
/// connections to host ports, the agent's log port, have somewhere to go), virtio-rng, and one virtio-net
/// device per pod interface (on a duplicate of its tap's fd; MAC and MTU of the pod's veth). The same
/// wiring as katasharp-vmm's --disk empty / --vsock-socket / --rng / --net fd=, through the same front door (<see cref="MicroVm"/>).
/// </summary>
public sealed class GuestMachine : IGuestVm
{
    /// <summary>How much of each console line an error message quotes.</summary>
    private const int MaxConsoleLineInErrors = 512;

    private readonly MicroVm _vm;
    private readonly GuestConsoleLog _console;
    private int _disposed;

    private GuestMachine(MicroVm vm, GuestConsoleLog console, int blockSlots, string vsockSocket)
    {
        _vm = vm;
        _console = console;
        BlockSlotCount = blockSlots;
        VsockSocket = vsockSocket;
        Exited = vm.WaitForExitAsync().ContinueWith(t => Escaped(t.Result), TaskScheduler.Default);
    }

    public int BlockSlotCount { get; }

    /// <summary>The hybrid vsock unix socket (guest port P connects to "&lt;this&gt;_P").</summary>
    public string VsockSocket { get; }

    /// <summary>Completes with the reason once the VM has stopped (its message escaped: it can quote the guest's panic line).</summary>
    public Task<VmExit> Exited { get; }

    public string KernelCmdline => _vm.KernelCmdline;

    /// <summary>The agent's log stream is up: the console's copy of it is debug-level from now on.</summary>
    public void AgentLogConnected() => _console.AgentLogConnected();

    /// <summary>Creates the VM and its devices and starts the vCPUs. Configuration problems name their key.</summary>
    /// <param name="podInterfaces">The pod network's interfaces (empty for none). Their taps stay the caller's: each
    /// net device gets its own duplicate of the fd, closed when the device is disposed (or when this fails).</param>
    public static GuestMachine Start(RuntimeConfiguration configuration, string stateDirectory, RuntimeLog log, IReadOnlyList<PodInterface> podInterfaces)
    {
        HypervisorSettings hypervisor = configuration.Hypervisor;
        string vsockSocket = SandboxPaths.VsockSocket(stateDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(vsockSocket)!);
        // Writable slots: read-only is per medium (VIRTIO_BLK_F_RO is fixed at probe, and a slot may later hold a
        // read-write host block device). A read-only medium's descriptor is read-only: the VMM answers writes IOERR.
        var devices = new List<VirtioDeviceSpec>(BlockSlots.Names(hypervisor.BlockSlots).Select(name => new BlockDeviceSpec(name, Path: null, ReadOnly: false, Serial: name)))
        {
            new VsockDeviceSpec(VsockOptions.DefaultGuestCid, vsockSocket),
            new RngDeviceSpec(),
        };
        NetDatapath datapath = podInterfaces.Count == 0 ? NetDatapath.Userspace : ChooseNetDatapath(hypervisor.NetDatapath, log);
        for (int i = 0; i < podInterfaces.Count; i++)
        {
            PodInterface pod = podInterfaces[i];
            // The spec owns the duplicate from here: the device closes it, and so does a failed Create.
            devices.Add(new NetDeviceSpec($"net{i}", pod.GuestMac) { TapDescriptor = pod.Tap.DuplicateDescriptor(), Mtu = (ushort)pod.Mtu, Datapath = datapath });
            log.Debug($"virtio-net net{i}: {pod.Tap.Name} (pod interface {pod.Name}, MAC {pod.GuestMacText}, MTU {pod.Mtu}, {datapath} data path)");
        }
        var console = new GuestConsoleLog(log, GuestOutputLimits.Default, ConsoleFile(configuration.Runtime, stateDirectory, log));
        MicroVm? vm = null;
        try
        {
            vm = MicroVm.Create(new MicroVmConfig
            {
                Kernel = hypervisor.Kernel,
                Initrd = hypervisor.Initrd,
                Cmdline = GuestKernelCmdline.For(configuration),
                Vcpus = hypervisor.Vcpus,
                MemoryMiB = hypervisor.MemoryMib,
                Console = console,
                Log = message => log.Debug($"vmm: {message}"),
                Devices = devices,
            });
            vm.Start();
        }
        catch (VmmException e)
        {
            string step = vm is null ? "create" : "start";
            vm?.Dispose();
            console.Dispose();
            // The configuration's own values (sizes, kernel, initrd) are the user's to fix; a device the shim set up
            // (a slot, the vsock socket, a pod tap) or the host failing is not: Unavailable.
            bool usersSettings = e.Failure == VmmFailure.BadConfiguration && e is VmConfigException or BootException;
            string key = e.Option is { } option ? $" ([hypervisor.katasharp] {KeyFor(option)} in {configuration.SourcePath})" : "";
            throw new RuntimeException(usersSettings ? RuntimeError.InvalidArgument : RuntimeError.Unavailable,
                $"cannot {step} the sandbox VM: {e.Message}{key}", e);
        }
        return new GuestMachine(vm, console, hypervisor.BlockSlots, vsockSocket);
    }

    /// <summary>net_datapath resolved: "auto" becomes vhost when /dev/vhost-net opens, else userspace with the reason logged once
    /// per pod; an explicit "vhost" on a host without it fails the VM's start with the device's own message.</summary>
    internal static NetDatapath ChooseNetDatapath(NetDatapathSetting setting, RuntimeLog log)
    {
        switch (setting)
        {
            case NetDatapathSetting.Vhost:
                log.Info("pod network data path: vhost-net (net_datapath = \"vhost\")");
                return NetDatapath.Vhost;
            case NetDatapathSetting.Auto when VhostNet.Unavailability() is { } reason:
                log.Info($"pod network data path: userspace (net_datapath = \"auto\", but {reason})");
                return NetDatapath.Userspace;
            case NetDatapathSetting.Auto:
                log.Info("pod network data path: vhost-net (net_datapath = \"auto\" and /dev/vhost-net opens)");
                return NetDatapath.Vhost;
            default:
                return NetDatapath.Userspace;
        }
    }

    /// <summary>A stream to guest vsock port <paramref name="port"/>, without a unix socket in between.</summary>
    public Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken) => _vm.ConnectAsync(port, cancellationToken);

    /// <summary>The counters of the VMM in this process: read directly, nothing to distrust.</summary>
    public VmmMetricsReport Metrics() =>
        new([.. VmMetrics.Of(_vm).Select(m => new MetricSample(m.Name, [.. m.Labels], m.Value))], 0, Answered: true, ProcessId: null);

    /// <summary>Puts <paramref name="path"/> (a layer image or a host block device) into the empty <paramref name="slot"/>
    /// (media change), read-only unless <paramref name="readOnly"/> is false; the guest sees <paramref name="serial"/>.</summary>
    public void InsertMedium(string slot, string path, string serial, bool readOnly)
    {
        try
        {
            _vm.InsertMedium(slot, path, serial, readOnly);
        }
        catch (VmmException e)
        {
            throw new RuntimeException(RuntimeError.Internal, $"cannot attach {path}: {e.Message}", e);
        }
    }

    public void EjectMedium(string slot) => _vm.EjectMedium(slot);

    /// <summary>The last console lines, for error messages (boot failures, crashes): guest text, so each line is escaped and capped.</summary>
    public string ConsoleTail(int lines)
    {
        string tail = _vm.ConsoleTail.LastLines(lines);
        return tail.Length == 0 ? "(the guest printed nothing on its console)" : UntrustedText.EscapeLines(tail, MaxConsoleLineInErrors);
    }

    /// <summary>A VM exit whose message (which can carry the guest's panic line) is safe for logs and error messages.</summary>
    private static VmExit Escaped(VmExit exit) => exit with { Message = UntrustedText.Escape(exit.Message, UntrustedText.DefaultMaxLength) };

    /// <summary>Stops the vCPUs (waits for their threads) and releases the VM, its devices and their sockets.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            _vm.Dispose();
        }
        finally
        {
            _console.Dispose();
            File.Delete(VsockSocket);
        }
    }

    /// <summary>The console's file in the state directory ([runtime] console_log_max_kib), or none when that is 0.</summary>
    internal static GuestConsoleFile? ConsoleFile(RuntimeSettings runtime, string stateDirectory, RuntimeLog log) =>
        runtime.ConsoleLogMaxKib == 0
            ? null
            : new GuestConsoleFile(stateDirectory, runtime.ConsoleLogMaxKib * 1024L, GuestOutputLimits.Default.MaxLineBytes, log.Drops);

    internal static string KeyFor(string option) => option switch
    {
        "memory" or "memory-mib" => "memory_mib",
        "cmdline" => "kernel_params",
        _ => option,
    };
}
