using KataSharp.Linux.Threading;
using KataSharp.Vmm.Devices.Bus;
using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Lifecycle;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Vcpu;

/// <summary>
/// One vCPU on its own dedicated thread, looping in KVM_RUN and routing port and MMIO exits to
/// the buses. Any other exit ends the loop with a <see cref="VmExit"/> handed to the machine.
/// <para>
/// Stopping without native signal handlers: the thread blocks <see cref="KickSignal"/> for itself
/// and tells KVM (KVM_SET_SIGNAL_MASK) to leave it unblocked while inside KVM_RUN. A kick sets
/// <c>immediate_exit</c> (for a thread about to enter KVM_RUN) and tgkill()s the thread (for one
/// inside it, even halted in the in-kernel irqchip): KVM_RUN returns EINTR, the signal stays
/// pending because the thread's own mask blocks it, and the thread consumes it with
/// sigtimedwait. The tid is only signalled while the thread is known to be alive, so a reused
/// tid can never receive it.
/// </para>
/// </summary>
public sealed class VcpuThread : IDisposable
{
    public const int KickSignal = SignalNumber.SIGUSR2;

    private readonly VcpuFd _fd;
    private readonly DeviceBus _pio;
    private readonly DeviceBus _mmio;
    private readonly GuestMemory _memory;
    private readonly Action<VcpuThread, VmExit> _onGuestExit;
    private readonly long[] _exits = new long[Enum.GetValues<VcpuExitKind>().Length];
    private readonly Action<VcpuThread> _onStopped;
    private readonly StateMachine<VcpuState> _state;
    private readonly object _threadGate = new();
    private Thread? _thread;
    private int _tid;

    /// <param name="onGuestExit">Called on the vCPU thread when the guest (or a failure) ends this vCPU's run.</param>
    /// <param name="onStopped">Called on the vCPU thread as its very last act.</param>
    public VcpuThread(VcpuFd fd, DeviceBus pio, DeviceBus mmio, GuestMemory memory,
        Action<VcpuThread, VmExit> onGuestExit, Action<VcpuThread> onStopped)
    {
        _fd = fd;
        _pio = pio;
        _mmio = mmio;
        _memory = memory;
        _onGuestExit = onGuestExit;
        _onStopped = onStopped;
        _state = new StateMachine<VcpuState>($"vcpu {fd.Id}", VcpuState.Created, VcpuStateTransitions.Allowed);
    }

    public int Id => _fd.Id;

    /// <summary>The thread's name, used wherever it is reported ("vcpu0").</summary>
    public string Name => $"vcpu{Id}";

    /// <summary>The KVM vCPU, for setup before <see cref="Start"/>.</summary>
    public VcpuFd Fd => _fd;

    public VcpuState State => _state.Current;

    public void Start()
    {
        _state.Move(VcpuState.Running);
        _thread = new Thread(Run, ThreadStacks.MaxStackSize) { Name = Name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>Asks the thread to leave KVM_RUN and finish. Returns at once; use <see cref="Join"/> to wait.</summary>
    public void RequestStop()
    {
        if (_state.TryMove(VcpuState.Stopping) || _state.Current == VcpuState.Stopping)
        {
            Kick();
        }
        else
        {
            _state.TryMove(VcpuState.Stopped); // never started
        }
    }

    /// <summary>Forces KVM_RUN to return on the vCPU thread (it then re-checks its state).</summary>
    public void Kick()
    {
        _fd.ImmediateExit = true;
        lock (_threadGate)
        {
            if (_tid != 0)
            {
                LinuxThread.Signal(_tid, KickSignal);
            }
        }
    }

    /// <summary>Waits for the thread to finish; false on timeout. True at once for a vCPU that never ran.</summary>
    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    private void Run()
    {
        try
        {
            LinuxThread.BlockSignal(KickSignal);
            _fd.SetSignalMask(LinuxThread.CurrentSignalMask() & ~(1UL << (KickSignal - 1)));
            lock (_threadGate)
            {
                _tid = LinuxThread.CurrentId;
            }
            while (_state.Current == VcpuState.Running)
            {
                VmExit? exit = RunOnce();
                if (exit is not null)
                {
                    _onGuestExit(this, exit);
                    break;
                }
            }
        }
        catch (Exception e)
        {
            _onGuestExit(this, new VmExit(VmExitReason.VmmError, $"vcpu {Id} failed: {e.Message}", VcpuDiagnostics.Describe(_fd, _memory)));
        }
        finally
        {
            lock (_threadGate)
            {
                _tid = 0;
            }
            _state.TryMove(VcpuState.Stopped);
            _onStopped(this);
        }
    }

    /// <summary>How many KVM_RUN returns of <paramref name="kind"/> this vCPU has had (the VMM's exit metrics).</summary>
    public long ExitCount(VcpuExitKind kind) => Volatile.Read(ref _exits[(int)kind]);

    /// <summary>One KVM_RUN and its exit: null to keep running, or why this vCPU must stop.</summary>
    private VmExit? RunOnce()
    {
        VcpuExit exit = _fd.Run();
        _exits[(int)exit.Kind]++; // only this thread writes; metrics read it racily, which is fine for a counter
        switch (exit.Kind)
        {
            case VcpuExitKind.Interrupted:
                _fd.ImmediateExit = false;
                LinuxThread.TryConsumePendingSignal(KickSignal);
                return null;
            case VcpuExitKind.IoIn:
                for (int i = 0; i < exit.Count; i++)
                {
                    _pio.Read(exit.Address, exit.Data.Slice(i * exit.AccessSize, exit.AccessSize));
                }
                return null;
            case VcpuExitKind.IoOut:
                for (int i = 0; i < exit.Count; i++)
                {
                    _pio.Write(exit.Address, exit.Data.Slice(i * exit.AccessSize, exit.AccessSize));
                }
                return null;
            case VcpuExitKind.MmioRead:
                _mmio.Read(exit.Address, exit.Data);
                return null;
            case VcpuExitKind.MmioWrite:
                _mmio.Write(exit.Address, exit.Data);
                return null;
            case VcpuExitKind.SystemEvent:
                return SystemEvent(exit.SystemEventType);
            case VcpuExitKind.Shutdown:
                return new VmExit(VmExitReason.GuestShutdown, $"vcpu {Id}: the guest triple-faulted (KVM_EXIT_SHUTDOWN)", VcpuDiagnostics.Describe(_fd, _memory));
            case VcpuExitKind.Hlt:
                return new VmExit(VmExitReason.VmmError, $"vcpu {Id}: HLT reached user space, so KVM has no in-kernel irqchip for this VM", VcpuDiagnostics.Describe(_fd, _memory));
            default:
                return new VmExit(VmExitReason.VmmError, $"vcpu {Id}: {exit.Detail ?? exit.Kind.ToString()}", VcpuDiagnostics.Describe(_fd, _memory));
        }
    }

    private VmExit SystemEvent(uint type) => type switch
    {
        KvmConstants.KVM_SYSTEM_EVENT_RESET => new VmExit(VmExitReason.GuestReset, $"vcpu {Id}: the guest reset the machine (KVM system event)"),
        KvmConstants.KVM_SYSTEM_EVENT_SHUTDOWN => new VmExit(VmExitReason.GuestPowerOff, $"vcpu {Id}: the guest powered off (KVM system event)"),
        KvmConstants.KVM_SYSTEM_EVENT_CRASH => new VmExit(VmExitReason.GuestPanic, $"vcpu {Id}: the guest reported a crash (KVM system event)"),
        _ => new VmExit(VmExitReason.VmmError, $"vcpu {Id}: unknown KVM system event {type}", VcpuDiagnostics.Describe(_fd, _memory)),
    };

    public void Dispose()
    {
        RequestStop();
        if (!Join(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"vcpu {Id} did not leave KVM_RUN within 10 s of being kicked; its thread is leaked");
        }
        _fd.Dispose();
    }
}
