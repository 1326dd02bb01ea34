namespace KataSharp.Vmm.Vcpu;

/// <summary>Lifecycle of one vCPU thread: Created → Running (in the KVM_RUN loop) → Stopping
/// (asked to leave, kicked) → Stopped (thread finished). A vCPU that never started goes to Stopped directly.</summary>
public enum VcpuState
{
    Created,
    Running,
    Stopping,
    Stopped,
}
