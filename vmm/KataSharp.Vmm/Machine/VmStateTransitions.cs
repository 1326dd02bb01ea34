namespace KataSharp.Vmm.Machine;

/// <summary>The allowed <see cref="VmState"/> transitions.</summary>
public static class VmStateTransitions
{
    public static readonly IReadOnlyDictionary<VmState, VmState[]> Allowed = new Dictionary<VmState, VmState[]>
    {
        [VmState.Created] = [VmState.Running, VmState.Stopped],
        [VmState.Running] = [VmState.Stopping],
        [VmState.Stopping] = [VmState.Stopped],
        [VmState.Stopped] = [],
    };
}
