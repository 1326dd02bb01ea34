using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Kvm.Interop;
using static KataSharp.Vmm.Kvm.Interop.KvmConstants;
using static KataSharp.Vmm.Kvm.Interop.KvmIoctls;

namespace KataSharp.Vmm.Kvm;

/// <summary>
/// A KVM vCPU: register/MSR/CPUID/LAPIC access and <see cref="Run"/>, which returns a typed
/// <see cref="VcpuExit"/> over the shared kvm_run page. Run only from the vCPU's own thread.
/// </summary>
public sealed class VcpuFd : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly KvmRunArea _run;

    internal VcpuFd(int id, FileDescriptor fd, KvmRunArea run)
    {
        Id = id;
        _fd = fd;
        _run = run;
    }

    /// <summary>The vCPU id, which is also its local APIC id.</summary>
    public int Id { get; }

    public kvm_regs GetRegisters() => Get<kvm_regs>(KVM_GET_REGS, "KVM_GET_REGS");

    public void SetRegisters(kvm_regs regs) => Ioctl.Invoke(_fd, KVM_SET_REGS, ref regs, $"KVM_SET_REGS(vcpu {Id})");

    public kvm_sregs GetSpecialRegisters() => Get<kvm_sregs>(KVM_GET_SREGS, "KVM_GET_SREGS");

    public void SetSpecialRegisters(kvm_sregs sregs) => Ioctl.Invoke(_fd, KVM_SET_SREGS, ref sregs, $"KVM_SET_SREGS(vcpu {Id})");

    public kvm_fpu GetFpu() => Get<kvm_fpu>(KVM_GET_FPU, "KVM_GET_FPU");

    public void SetFpu(kvm_fpu fpu) => Ioctl.Invoke(_fd, KVM_SET_FPU, ref fpu, $"KVM_SET_FPU(vcpu {Id})");

    public kvm_lapic_state GetLapic() => Get<kvm_lapic_state>(KVM_GET_LAPIC, "KVM_GET_LAPIC");

    public void SetLapic(kvm_lapic_state lapic) => Ioctl.Invoke(_fd, KVM_SET_LAPIC, ref lapic, $"KVM_SET_LAPIC(vcpu {Id})");

    /// <summary>Writes every entry; fails naming the first MSR KVM refused.</summary>
    public void SetMsrs(IReadOnlyList<kvm_msr_entry> entries)
    {
        byte[] buffer = MsrBuffer(entries);
        int written = Ioctl.Invoke(_fd, KVM_SET_MSRS, buffer, $"KVM_SET_MSRS(vcpu {Id})");
        if (written != entries.Count)
        {
            throw new KvmException(KvmError.CallFailed,
                $"KVM_SET_MSRS on vcpu {Id} stopped at MSR 0x{entries[written].index:x} ({written} of {entries.Count} written)");
        }
    }

    /// <summary>Reads the given MSRs; an index KVM does not know is left out of the result.</summary>
    public kvm_msr_entry[] GetMsrs(IReadOnlyList<uint> indices)
    {
        byte[] buffer = MsrBuffer(indices.Select(i => new kvm_msr_entry { index = i }).ToArray());
        int read = Ioctl.Invoke(_fd, KVM_GET_MSRS, buffer, $"KVM_GET_MSRS(vcpu {Id})");
        return MemoryMarshal.Cast<byte, kvm_msr_entry>(buffer.AsSpan(Marshal.SizeOf<kvm_msrs>()))[..read].ToArray();
    }

    public void SetCpuid(IReadOnlyList<kvm_cpuid_entry2> entries)
    {
        int header = Marshal.SizeOf<kvm_cpuid2>();
        var buffer = new byte[header + entries.Count * Marshal.SizeOf<kvm_cpuid_entry2>()];
        MemoryMarshal.Write(buffer, new kvm_cpuid2 { nent = (uint)entries.Count });
        entries.ToArray().AsSpan().CopyTo(MemoryMarshal.Cast<byte, kvm_cpuid_entry2>(buffer.AsSpan(header)));
        Ioctl.Invoke(_fd, KVM_SET_CPUID2, buffer, $"KVM_SET_CPUID2(vcpu {Id}, {entries.Count} entries)");
    }

    /// <summary>Signals blocked while this vCPU is inside KVM_RUN (the kernel's 64-bit sigset word):
    /// a signal left out of the mask interrupts KVM_RUN even when the thread blocks it otherwise.</summary>
    public void SetSignalMask(ulong blockedDuringRun)
    {
        int header = Marshal.SizeOf<kvm_signal_mask>();
        var buffer = new byte[header + sizeof(ulong)];
        MemoryMarshal.Write(buffer, new kvm_signal_mask { len = sizeof(ulong) });
        MemoryMarshal.Write(buffer.AsSpan(header), blockedDuringRun);
        Ioctl.Invoke(_fd, KVM_SET_SIGNAL_MASK, buffer, $"KVM_SET_SIGNAL_MASK(vcpu {Id})");
    }

    /// <summary>Makes the next (or current, once interrupted) KVM_RUN return at once. Safe from any thread.</summary>
    public bool ImmediateExit
    {
        get => _run.ImmediateExit;
        set => _run.ImmediateExit = value;
    }

    /// <summary>Enters the guest until the next exit. Blocks the calling thread (for as long as the
    /// guest runs or sits halted in the in-kernel irqchip).</summary>
    public VcpuExit Run()
    {
        int rc = Ioctl.TryInvoke(_fd, KVM_RUN, 0);
        if (rc < 0)
        {
            if (-rc is (int)Errno.EINTR or (int)Errno.EAGAIN)
            {
                return new VcpuExit { Kind = VcpuExitKind.Interrupted };
            }
            throw new LinuxException($"ioctl(KVM_RUN, vcpu {Id})", -rc);
        }
        return Decode();
    }

    private VcpuExit Decode()
    {
        uint reason = _run.ExitReason;
        switch (reason)
        {
            case KVM_EXIT_IO:
                kvm_run.io_exit io = _run.Io;
                return new VcpuExit
                {
                    Kind = io.direction == KVM_EXIT_IO_OUT ? VcpuExitKind.IoOut : VcpuExitKind.IoIn,
                    Reason = reason,
                    Address = io.port,
                    AccessSize = io.size,
                    Count = (int)io.count,
                    Data = _run.IoData(),
                };
            case KVM_EXIT_MMIO:
                Span<byte> data = _run.MmioData();
                return new VcpuExit
                {
                    Kind = _run.MmioIsWrite ? VcpuExitKind.MmioWrite : VcpuExitKind.MmioRead,
                    Reason = reason,
                    Address = _run.MmioAddress,
                    AccessSize = data.Length,
                    Count = 1,
                    Data = data,
                };
            case KVM_EXIT_HLT:
                return new VcpuExit { Kind = VcpuExitKind.Hlt, Reason = reason };
            case KVM_EXIT_SHUTDOWN:
                return new VcpuExit { Kind = VcpuExitKind.Shutdown, Reason = reason, Detail = "triple fault (KVM_EXIT_SHUTDOWN)" };
            case KVM_EXIT_INTR:
                return new VcpuExit { Kind = VcpuExitKind.Interrupted, Reason = reason };
            case KVM_EXIT_SYSTEM_EVENT:
                return new VcpuExit { Kind = VcpuExitKind.SystemEvent, Reason = reason, SystemEventType = _run.SystemEventType };
            case KVM_EXIT_INTERNAL_ERROR:
                string words = string.Join(" ", _run.InternalData().Select(d => $"0x{d:x}"));
                return new VcpuExit
                {
                    Kind = VcpuExitKind.InternalError,
                    Reason = reason,
                    Detail = $"KVM internal error, suberror {_run.InternalSuberror} ({InternalSuberrorName(_run.InternalSuberror)}){(words.Length > 0 ? $", data {words}" : "")}",
                };
            case KVM_EXIT_FAIL_ENTRY:
                return new VcpuExit
                {
                    Kind = VcpuExitKind.FailEntry,
                    Reason = reason,
                    Detail = $"VM entry failed, hardware reason 0x{_run.FailEntry.hardware_entry_failure_reason:x} on host cpu {_run.FailEntry.cpu}",
                };
            case KVM_EXIT_EXCEPTION:
                return new VcpuExit
                {
                    Kind = VcpuExitKind.Other,
                    Reason = reason,
                    Detail = $"guest exception {_run.Exception.exception} (error code 0x{_run.Exception.error_code:x})",
                };
            case KVM_EXIT_UNKNOWN:
                return new VcpuExit { Kind = VcpuExitKind.Other, Reason = reason, Detail = $"unknown exit, hardware reason 0x{_run.HardwareExitReason:x}" };
            default:
                return new VcpuExit { Kind = VcpuExitKind.Other, Reason = reason, Detail = $"unhandled KVM exit reason {reason}" };
        }
    }

    // Documented in linux/kvm.h next to KVM_INTERNAL_ERROR_*.
    private static string InternalSuberrorName(uint suberror) => suberror switch
    {
        1 => "instruction emulation failed",
        2 => "exception while delivering an event (simultaneous exceptions)",
        3 => "delivery of an event hit MMIO",
        4 => "unexpected exit reason",
        _ => "unknown suberror",
    };

    private static byte[] MsrBuffer(IReadOnlyList<kvm_msr_entry> entries)
    {
        int header = Marshal.SizeOf<kvm_msrs>();
        var buffer = new byte[header + entries.Count * Marshal.SizeOf<kvm_msr_entry>()];
        MemoryMarshal.Write(buffer, new kvm_msrs { nmsrs = (uint)entries.Count });
        entries.ToArray().AsSpan().CopyTo(MemoryMarshal.Cast<byte, kvm_msr_entry>(buffer.AsSpan(header)));
        return buffer;
    }

    private T Get<T>(uint request, string name) where T : unmanaged
    {
        T value = default;
        Ioctl.Invoke(_fd, request, ref value, $"{name}(vcpu {Id})");
        return value;
    }

    public void Dispose()
    {
        _run.Dispose();
        _fd.Dispose();
    }
}
