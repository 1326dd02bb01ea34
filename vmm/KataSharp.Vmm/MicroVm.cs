using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Vmm.DeviceManager;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Virtio.Devices.Block;

namespace KataSharp.Vmm;

/// <summary>
/// The VMM's front door: one microVM made from a <see cref="MicroVmConfig"/>, with the operations a host program needs —
/// start, request an exit, stop, wait, change a block slot's medium, connect to a guest vsock port, read the console tail.
/// The shim and katasharp-vmm both go through it instead of assembling the machine builder, the device manager and the
/// devices themselves, and both catch one exception type: every failure here is a <see cref="VmmException"/> (a failed
/// syscall is wrapped as <see cref="VmmFailure.HostFailure"/>), whose <see cref="VmmException.Failure"/> says whose it is.
/// </summary>
public sealed class MicroVm : IDisposable
{
    private readonly VirtualMachine _vm;
    private readonly VirtioDeviceManager _devices;
    private int _disposed;

    private MicroVm(VirtualMachine vm, VirtioDeviceManager devices)
    {
        _vm = vm;
        _devices = devices;
    }

    /// <summary>The command line the guest boots with (the configuration's, plus one entry per device).</summary>
    public string KernelCmdline => _vm.KernelCmdline;

    /// <summary>The last bytes of the guest console (for error reports; guest text: escape before logging).</summary>
    public ConsoleTail ConsoleTail => _vm.ConsoleTail;

    /// <summary>The devices, in configuration order (their counters are the device metrics).</summary>
    public IReadOnlyList<AttachedVirtioDevice> Devices => _devices.Devices;

    /// <summary>The vCPUs (their exit counts are the vCPU metrics).</summary>
    public IReadOnlyList<Vcpu.VcpuThread> Vcpus => _vm.Vcpus;

    /// <summary>Builds the machine and creates its devices; not started. Nothing is left behind when it fails.</summary>
    public static MicroVm Create(MicroVmConfig config)
    {
        VirtualMachine? vm = null;
        VirtioDeviceManager? devices = null;
        int created = 0;
        try
        {
            var builder = new MachineBuilder()
                .WithKernel(config.Kernel)
                .WithInitrd(config.Initrd)
                .WithCmdline(config.Cmdline)
                .WithVcpus(config.Vcpus)
                .WithMemoryMiB(config.MemoryMiB)
                .WithConsole(config.Console);
            if (config.Log is { } log)
            {
                builder.WithLog(log);
            }
            vm = builder.Build();
            devices = new VirtioDeviceManager(vm);
            foreach (VirtioDeviceSpec spec in config.Devices)
            {
                created++; // Create owns the spec from here, failed or not
                if (devices.Attach(spec).Device is BlockDevice block)
                {
                    vm.AddMemoryUser(block.WorkerName, () => block.WorkerHasEnded);
                }
            }
            return new MicroVm(vm, devices);
        }
        catch (Exception e) when (e is VmmException or LinuxException)
        {
            foreach (VirtioDeviceSpec spec in config.Devices.Skip(created))
            {
                spec.Abandon();
            }
            devices?.Dispose();
            vm?.Dispose();
            throw Wrapped(e, "setting up the VM");
        }
    }

    /// <summary>Starts the vCPUs.</summary>
    public void Start() => Do(_vm.Start, "starting the VM");

    /// <summary>Completes with why the VM stopped: the guest's doing, a fault, or a host request.</summary>
    public Task<VmExit> WaitForExitAsync(CancellationToken cancellationToken = default) => _vm.WaitForExitAsync(cancellationToken);

    /// <summary>Asks the VM to stop with <paramref name="exit"/> as the reason; returns at once.</summary>
    public void RequestExit(VmExit exit) => _vm.RequestExit(exit);

    /// <summary>Stops the vCPUs and waits for their threads (bounded by the stop timeout), then ends the block devices'
    /// workers (each finishes the request in hand, bounded likewise): nothing writes guest memory for a disk afterwards.</summary>
    public VmExit Stop()
    {
        VmExit exit = _vm.Stop();
        StopBlockWorkers();
        return exit;
    }

    /// <summary>Block workers still in a request after the bound are named in the log (and keep guest memory mapped
    /// at dispose); media changes go on working once the worker has ended.</summary>
    private void StopBlockWorkers()
    {
        foreach (AttachedVirtioDevice attached in _devices.Devices)
        {
            if (attached.Device is BlockDevice block)
            {
                block.StopServing(_vm.StopTimeout);
            }
        }
    }

    /// <summary>Puts <paramref name="path"/> (an image or a host block device) into block slot <paramref name="slot"/>:
    /// a media change the guest sees as a new disk with <paramref name="serial"/>.</summary>
    public void InsertMedium(string slot, string path, string? serial = null, bool? readOnly = null) =>
        Do(() => Block(slot).Attach(path, serial, readOnly), $"inserting {path} into {slot}");

    /// <summary>As <see cref="InsertMedium(string, string, string?, bool?)"/> with a medium opened by the caller (owned from here);
    /// <paramref name="label"/> names it in messages.</summary>
    public void InsertMedium(string slot, FileDescriptor medium, string label, string? serial = null, bool? readOnly = null)
    {
        BlockDevice block;
        try
        {
            block = Block(slot);
        }
        catch
        {
            medium.Dispose();
            throw;
        }
        Do(() => block.Attach(medium, label, serial, readOnly), $"inserting {label} into {slot}");
    }

    /// <summary>Empties block slot <paramref name="slot"/>.</summary>
    public void EjectMedium(string slot) => Do(() => Block(slot).Detach(), $"emptying {slot}");

    /// <summary>A stream to guest vsock port <paramref name="port"/>, in process (no unix socket in between).</summary>
    public Task<Stream> ConnectAsync(uint port, CancellationToken cancellationToken)
    {
        var vsock = _devices.Vsock ?? throw new VmmException(VmmFailure.BadConfiguration, "the VM has no vsock device: configure one to connect to the guest");
        return vsock.ConnectAsync(port, cancellationToken);
    }

    /// <summary>Stops the VM if it runs, then frees it and its devices (their descriptors and sockets, the block workers).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            Stop();
        }
        finally
        {
            _devices.Dispose();
            _vm.Dispose();
        }
    }

    private BlockDevice Block(string slot)
    {
        try
        {
            return _devices.Block(slot);
        }
        catch (KeyNotFoundException e)
        {
            throw new VmmException(VmmFailure.BadConfiguration, e.Message, e);
        }
    }

    private static void Do(Action action, string what)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is VmmException or LinuxException)
        {
            throw Wrapped(e, what);
        }
    }

    private static VmmException Wrapped(Exception e, string what) =>
        e as VmmException ?? new VmmException(VmmFailure.HostFailure, $"{what} failed: {e.Message}", e);
}
