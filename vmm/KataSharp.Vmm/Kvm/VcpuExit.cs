namespace KataSharp.Vmm.Kvm;

/// <summary>
/// A decoded KVM_RUN exit. For I/O and MMIO exits <see cref="Data"/> points into the vCPU's
/// kvm_run page: fill it for reads, read it for writes, and drop the view before the next run.
/// </summary>
public readonly ref struct VcpuExit
{
    public VcpuExitKind Kind { get; init; }

    /// <summary>kvm_run.exit_reason as KVM reported it (0 when KVM_RUN itself failed with EINTR).</summary>
    public uint Reason { get; init; }

    /// <summary>Port or guest-physical address of an I/O or MMIO exit.</summary>
    public ulong Address { get; init; }

    /// <summary>Bytes per access (1, 2, 4; up to 8 for MMIO).</summary>
    public int AccessSize { get; init; }

    /// <summary>Number of consecutive accesses (greater than 1 for REP INS/OUTS).</summary>
    public int Count { get; init; }

    /// <summary><see cref="AccessSize"/> × <see cref="Count"/> bytes, access after access.</summary>
    public Span<byte> Data { get; init; }

    /// <summary>KVM_SYSTEM_EVENT_* for <see cref="VcpuExitKind.SystemEvent"/>.</summary>
    public uint SystemEventType { get; init; }

    /// <summary>Human-readable detail for error kinds (suberror, hardware reason, exit name).</summary>
    public string? Detail { get; init; }
}
