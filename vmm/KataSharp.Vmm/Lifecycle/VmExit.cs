namespace KataSharp.Vmm.Lifecycle;

/// <summary>How a VM ended: the reason, one line for humans, and for unexpected exits the vCPU
/// registers and the faulting instruction.</summary>
/// <param name="Reason">What happened.</param>
/// <param name="Message">One line describing it.</param>
/// <param name="Diagnostics">Registers and disassembly when a vCPU exited unexpectedly, else null.</param>
public sealed record VmExit(VmExitReason Reason, string Message, string? Diagnostics = null)
{
    /// <summary>True for a guest that rebooted or powered off on purpose.</summary>
    public bool IsCleanGuestExit => Reason is VmExitReason.GuestReset or VmExitReason.GuestPowerOff;

    public override string ToString() => Diagnostics is null ? $"{Reason}: {Message}" : $"{Reason}: {Message}\n{Diagnostics}";
}
