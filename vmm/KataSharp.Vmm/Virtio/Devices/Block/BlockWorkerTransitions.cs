namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>The allowed <see cref="BlockWorkerState"/> transitions: one way, Running → Stopping → Stopped. A worker
/// that does not end within its stop bound stays Stopping (a later stop may still join it).</summary>
public static class BlockWorkerTransitions
{
    public static readonly IReadOnlyDictionary<BlockWorkerState, BlockWorkerState[]> Allowed = new Dictionary<BlockWorkerState, BlockWorkerState[]>
    {
        [BlockWorkerState.Running] = [BlockWorkerState.Stopping],
        [BlockWorkerState.Stopping] = [BlockWorkerState.Stopped],
        [BlockWorkerState.Stopped] = [],
    };
}
