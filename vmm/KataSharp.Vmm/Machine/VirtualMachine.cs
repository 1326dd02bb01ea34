using KataSharp.Linux.Events;
using KataSharp.Linux.Threading;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Devices.Bus;
using KataSharp.Vmm.Devices.Legacy;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Kvm;
using KataSharp.Lifecycle;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Vcpu;

namespace KataSharp.Vmm.Machine;

/// <summary>
/// A KVM microVM booting Linux directly: guest RAM, the in-kernel irqchip and PIT, one thread per
/// vCPU, the legacy devices (COM1, i8042, CMOS) and whatever a device manager attaches through
/// <see cref="IDeviceHost"/> before <see cref="Start"/>. Lifecycle Created → Running → Stopping →
/// Stopped (<see cref="VmState"/>); the first reason to stop wins and is what
/// <see cref="WaitForExitAsync"/> returns. Built by <see cref="MachineBuilder"/>.
/// <para>
/// Stopping never waits forever: a vCPU thread that does not leave within the stop timeout (blocked
/// outside KVM_RUN, e.g. in a device handler) and an event loop that does not end are reported by name
/// (<see cref="StuckThreads"/>, the log) and left behind; what they may still touch (guest memory, the
/// KVM VM, interrupt lines) stays mapped until a later <see cref="Dispose"/> finds them gone.
/// </para>
/// </summary>
public sealed partial class VirtualMachine : IDeviceHost, IDisposable
{
    private readonly MachinePlan _plan;
    private readonly VmFd _vm;
    private readonly StateMachine<VmState> _state = new("VM", VmState.Created, VmStateTransitions.Allowed);
    private readonly TaskCompletionSource<VmExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<VcpuThread> _vcpus = [];
    private readonly Dictionary<uint, IrqFdLine> _interruptLines = [];
    private readonly List<IoEventFdRegistration> _ioEvents = [];
    private readonly ConsoleTail _consoleTail = new();
    private readonly HashSet<VcpuThread> _releasedVcpus = [];
    private readonly List<string> _stuckThreads = [];
    private readonly List<(string Name, Func<bool> HasEnded)> _memoryUsers = [];
    private readonly DeviceBus _pio;
    private readonly DeviceBus _mmio;
    private VmExit? _exit;
    private int _runningVcpus;
    private bool _disposed;
    private bool _released;
    private EventLoop? _eventLoop;
    private Uart16550? _serial;
    private BootLayout? _bootLayout;

    private VirtualMachine(MachinePlan plan, GuestMemory memory, VmFd vm)
    {
        _plan = plan;
        Memory = memory;
        _vm = vm;
        _pio = new DeviceBus("PIO", plan.Log);
        _mmio = new DeviceBus("MMIO", plan.Log);
    }

    public VmState State => _state.Current;

    public GuestMemory Memory { get; }

    public EventLoop EventLoop => _eventLoop ?? throw new InvalidOperationException("the VM is not set up");

    /// <summary>The guest console UART (COM1); <see cref="Uart16550.EnqueueInput"/> types into it.</summary>
    public Uart16550 Serial => _serial ?? throw new InvalidOperationException("the VM is not set up");

    /// <summary>The last 64 KiB the guest wrote to its console.</summary>
    public ConsoleTail ConsoleTail => _consoleTail;

    public IReadOnlyList<VcpuThread> Vcpus => _vcpus;

    /// <summary>How long <see cref="Stop"/> waits for the vCPU threads (and <see cref="Dispose"/>, in addition, for the event loop).</summary>
    public TimeSpan StopTimeout => _plan.StopTimeout;

    /// <summary>Threads that did not stop within <see cref="StopTimeout"/> when last asked ("vcpu1", "vmm-io"); empty normally.</summary>
    public IReadOnlyList<string> StuckThreads
    {
        get
        {
            lock (_stuckThreads)
            {
                return _stuckThreads.ToArray();
            }
        }
    }

    /// <summary>Where kernel, command line, initrd and e820 went; null before <see cref="Start"/>.</summary>
    public BootLayout? BootLayout => _bootLayout;

    /// <summary>The kernel command line as it will be (or was) handed to the guest.</summary>
    public string KernelCmdline => _plan.Cmdline.ToString();

    /// <summary>A device thread outside the VM's own (a block device's worker) that writes guest memory: <see cref="Dispose"/>
    /// keeps guest memory, the KVM VM and the interrupt lines while it still runs, as for a stuck vCPU, so a thread left in
    /// a slow disk read never writes into unmapped memory. Its owner stops it first (the devices are disposed before the VM).</summary>
    public void AddMemoryUser(string name, Func<bool> hasEnded)
    {
        lock (_memoryUsers)
        {
            _memoryUsers.Add((name, hasEnded));
        }
    }

    /// <summary>Writes the boot data and starts every vCPU thread.</summary>
    public void Start()
    {
        _state.Require(VmState.Created, "start the VM");
        _bootLayout = LinuxBoot.WriteBootData(Memory, _plan.Kernel, _plan.Initrd, _plan.InitrdAddress, _plan.Cmdline, _plan.VcpuCount, _cpuSignature);
        Arch.BootCpuState.Apply(_vcpus[0].Fd, _bootLayout.Entry, _bootLayout.ZeroPage);
        _state.Move(VmState.Running);
        _runningVcpus = _vcpus.Count;
        foreach (VcpuThread vcpu in _vcpus)
        {
            vcpu.Start();
        }
    }

    /// <summary>Completes when the VM has stopped, with the first reason it stopped for.</summary>
    public Task<VmExit> WaitForExitAsync(CancellationToken cancellationToken = default) => _exited.Task.WaitAsync(cancellationToken);

    /// <summary>Stops the VM (kicking every vCPU out of KVM_RUN) and waits until all vCPU threads are done, at most
    /// <see cref="StopTimeout"/>. Returns why it stopped: <see cref="VmExitReason.HostStop"/> unless the guest had already
    /// stopped it. vCPU threads still running after the timeout are reported (log, <see cref="StuckThreads"/>, the
    /// exit's message) and left behind; Stop returns anyway.</summary>
    public VmExit Stop() => Stop(Deadline.After(StopTimeout));

    private VmExit Stop(Deadline deadline)
    {
        if (_state.TryMove(VmState.Stopped, out VmState previous) && previous == VmState.Created)
        {
            Finish(new VmExit(VmExitReason.HostStop, "stopped before it was started"));
        }
        else
        {
            RequestExit(new VmExit(VmExitReason.HostStop, "stopped by the host"));
        }
        if (!_exited.Task.Wait(deadline.Remaining))
        {
            string[] stuck = [.. _vcpus.Where(v => !v.Join(TimeSpan.Zero)).Select(v => v.Name)];
            if (stuck.Length == 0 && _exited.Task.Wait(TimeSpan.FromSeconds(1)))
            {
                return _exited.Task.Result; // the last one ended just now and is finishing the exit
            }
            string problem = $"{string.Join(", ", stuck)} did not stop within {StopTimeout.TotalSeconds:0.#} s of being kicked "
                + "(blocked outside KVM_RUN, e.g. in a device); left running";
            ReportStuck(stuck, problem);
            VmExit exit = _exit ?? new VmExit(VmExitReason.HostStop, "stopped by the host");
            _exited.TrySetResult(exit with { Message = $"{exit.Message}; {problem}" });
        }
        return _exited.Task.Result;
    }

    private void ReportStuck(IEnumerable<string> threads, string problem)
    {
        lock (_stuckThreads)
        {
            _stuckThreads.Clear();
            _stuckThreads.AddRange(threads);
        }
        _plan.Log($"stop: {problem}");
    }

    /// <summary>Ends the run for <paramref name="exit"/> (the first caller wins): every vCPU is asked to stop.
    /// Safe from any thread, including vCPU threads and device code.</summary>
    public void RequestExit(VmExit exit)
    {
        if (exit.Reason is VmExitReason.GuestReset or VmExitReason.GuestShutdown && _consoleTail.PanicLine() is { } panic)
        {
            exit = exit with { Reason = VmExitReason.GuestPanic, Message = $"{panic} (then: {exit.Message})" };
        }
        if (Interlocked.CompareExchange(ref _exit, exit, null) is not null)
        {
            return;
        }
        if (!_state.TryMove(VmState.Stopping))
        {
            return;
        }
        foreach (VcpuThread vcpu in _vcpus)
        {
            vcpu.RequestStop();
        }
    }

    private void OnVcpuStopped(VcpuThread vcpu)
    {
        if (Interlocked.Decrement(ref _runningVcpus) == 0)
        {
            _state.TryMove(VmState.Stopped);
            Finish(_exit ?? new VmExit(VmExitReason.VmmError, "every vCPU stopped without a reason"));
        }
    }

    private void Finish(VmExit exit)
    {
        Interlocked.CompareExchange(ref _exit, exit, null);
        FlushConsole();
        _exited.TrySetResult(_exit!);
    }

    // IDeviceHost: attaching is allowed only before Start.

    public void AddMmioDevice(ulong baseAddress, ulong size, IBusDevice device, string? name = null)
    {
        _state.Require(VmState.Created, "attach an MMIO device");
        if (Memory.Regions.Any(r => baseAddress < r.End && r.Start.Value < baseAddress + size))
        {
            throw new ArgumentException($"MMIO range [0x{baseAddress:x}, +0x{size:x}) overlaps guest RAM: place devices in the MMIO hole");
        }
        _mmio.Add(baseAddress, size, device, name ?? device.GetType().Name);
    }

    public void AddPioDevice(ushort basePort, ushort count, IBusDevice device, string? name = null)
    {
        _state.Require(VmState.Created, "attach a port I/O device");
        _pio.Add(basePort, count, device, name ?? device.GetType().Name);
    }

    public IInterruptLine GetInterruptLine(uint irq)
    {
        if (irq > Arch.X86Layout.LastDeviceIrq)
        {
            throw new ArgumentOutOfRangeException(nameof(irq), irq, $"the IOAPIC has pins 0-{Arch.X86Layout.LastDeviceIrq}");
        }
        lock (_interruptLines)
        {
            if (!_interruptLines.TryGetValue(irq, out IrqFdLine? line))
            {
                _state.Require(VmState.Created, "create an interrupt line");
                line = new IrqFdLine(_vm, irq);
                _interruptLines[irq] = line;
            }
            return line;
        }
    }

    public IDisposable AddIoEventFd(EventFd eventFd, ulong address, int length, ulong? dataMatch)
    {
        _state.Require(VmState.Created, "add an ioeventfd");
        _vm.RegisterIoEventFd(eventFd, IoEventSpace.Mmio, address, length, dataMatch);
        var registration = new IoEventFdRegistration(_vm, eventFd, address, length, dataMatch, () => !_disposed);
        lock (_ioEvents)
        {
            _ioEvents.Add(registration);
        }
        return registration;
    }

    public void AppendKernelCmdline(string parameters)
    {
        _state.Require(VmState.Created, "change the kernel command line");
        _plan.Cmdline.Append(parameters);
    }

    /// <summary>
    /// Stops the VM if it runs and releases everything: threads, KVM, eventfds, guest memory. Bounded: at most
    /// <see cref="StopTimeout"/> for the vCPU threads and as much again for the event loop. A thread that is still
    /// running is reported and what it may touch (guest memory, the KVM VM, interrupt lines) stays mapped; calling
    /// Dispose again after it ended releases the rest.
    /// </summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }
        var deadline = Deadline.After(StopTimeout);
        if (!_exited.Task.IsCompleted)
        {
            Stop(deadline);
        }
        var running = new List<string>();
        foreach (VcpuThread vcpu in _vcpus)
        {
            if (!vcpu.Join(deadline.Remaining))
            {
                running.Add(vcpu.Name);
            }
            else if (_releasedVcpus.Add(vcpu))
            {
                vcpu.Dispose();
            }
        }
        if (_eventLoop is { } loop && !loop.Stop(StopTimeout))
        {
            running.Add(loop.Name);
        }
        lock (_memoryUsers)
        {
            running.AddRange(_memoryUsers.Where(u => !u.HasEnded()).Select(u => u.Name));
        }
        FlushConsole();
        if (running.Count > 0)
        {
            ReportStuck(running, $"{string.Join(", ", running)} still running after dispose: guest memory, the KVM VM and the interrupt lines stay mapped until they end (dispose again then)");
            return;
        }
        lock (_ioEvents)
        {
            _ioEvents.ForEach(r => r.Dispose());
        }
        _disposed = true;
        foreach (IrqFdLine line in _interruptLines.Values)
        {
            line.Dispose();
        }
        _vm.Dispose();
        Memory.Dispose();
        _released = true;
        lock (_stuckThreads)
        {
            _stuckThreads.Clear();
        }
    }
}
