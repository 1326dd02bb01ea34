namespace KataSharp.Vmm.Machine;

/// <summary>Lifecycle of a <see cref="VirtualMachine"/>: Created (devices may be attached) →
/// Running → Stopping (vCPUs are being kicked out) → Stopped. A VM that never ran goes straight to Stopped.</summary>
public enum VmState
{
    Created,
    Running,
    Stopping,
    Stopped,
}
