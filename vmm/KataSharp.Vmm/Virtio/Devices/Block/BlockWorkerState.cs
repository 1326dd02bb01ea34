namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>Lifecycle of a block device's worker thread: Running (serving requests and media commands) → Stopping
/// (asked to end: it finishes the request or command in hand, runs commands already posted, and leaves) → Stopped
/// (its thread was joined).</summary>
public enum BlockWorkerState
{
    Running,
    Stopping,
    Stopped,
}
