namespace KataSharp.Vmm.Kvm;

/// <summary>What made KVM_RUN return, as the vCPU loop acts on it.</summary>
public enum VcpuExitKind
{
    /// <summary>Port read: fill <see cref="VcpuExit.Data"/>.</summary>
    IoIn,

    /// <summary>Port write: <see cref="VcpuExit.Data"/> holds the bytes.</summary>
    IoOut,

    /// <summary>Read from guest-physical memory that is not RAM.</summary>
    MmioRead,

    /// <summary>Write to guest-physical memory that is not RAM.</summary>
    MmioWrite,

    /// <summary>The guest executed HLT and KVM had no in-kernel irqchip to wait in.</summary>
    Hlt,

    /// <summary>Triple fault (KVM_EXIT_SHUTDOWN).</summary>
    Shutdown,

    /// <summary>KVM_EXIT_SYSTEM_EVENT: <see cref="VcpuExit.SystemEventType"/> says reset, shutdown or crash.</summary>
    SystemEvent,

    /// <summary>KVM could not handle the guest (e.g. an instruction its emulator does not know).</summary>
    InternalError,

    /// <summary>Hardware refused to enter the guest (invalid vCPU state).</summary>
    FailEntry,

    /// <summary>A signal or immediate_exit interrupted KVM_RUN (EINTR or KVM_EXIT_INTR): check for commands.</summary>
    Interrupted,

    /// <summary>Any other exit reason; <see cref="VcpuExit.Detail"/> names it.</summary>
    Other,
}
