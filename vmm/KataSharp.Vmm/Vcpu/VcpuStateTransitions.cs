namespace KataSharp.Vmm.Vcpu;

/// <summary>The allowed <see cref="VcpuState"/> transitions. Running → Stopped is the vCPU ending by
/// itself (the guest reset or failed); Stopping → Stopped is the thread honouring a stop request.</summary>
public static class VcpuStateTransitions
{
    public static readonly IReadOnlyDictionary<VcpuState, VcpuState[]> Allowed = new Dictionary<VcpuState, VcpuState[]>
    {
        [VcpuState.Created] = [VcpuState.Running, VcpuState.Stopped],
        [VcpuState.Running] = [VcpuState.Stopping, VcpuState.Stopped],
        [VcpuState.Stopping] = [VcpuState.Stopped],
        [VcpuState.Stopped] = [],
    };
}
