using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// What the Task service needs from a pod's VM: boot it and wait for its agent, put layer
/// images on block slots, and run containers and processes in it. The shipped implementation
/// embeds the VMM and talks to the guest agent; tests use an in-test fake.
/// All process identities are containerd's (container id + exec id), never guest pids.
/// </summary>
public interface ISandboxBackend : IAsyncDisposable
{
    /// <summary>The pid containerd should see for every task: the process running the VM.</summary>
    int HypervisorPid { get; }

    /// <summary>Completes when the VM is gone, whether stopped or crashed.</summary>
    Task Exited { get; }

    /// <summary>Boots the VM and returns once the guest agent answers.</summary>
    Task BootAsync(SandboxBootRequest request, CancellationToken cancellationToken);

    /// <summary>A read-only layer image for <paramref name="containerId"/>: the slot it is in already (another container of the
    /// pod uses it), or a spare block slot (media change, no hotplug). The pod's <see cref="BlockSlots"/> keeps the record.</summary>
    Task<AttachedLayer> AttachLayerAsync(string containerId, string imagePath, CancellationToken cancellationToken);

    /// <summary><paramref name="containerId"/> lets go of <paramref name="layer"/>; true when that took the image out of the VM
    /// (no container uses it any more). A layer the container does not hold changes nothing.</summary>
    Task<bool> DetachLayerAsync(string containerId, AttachedLayer layer, CancellationToken cancellationToken);

    /// <summary>Creates the container in the guest (rootfs overlay over the layers, files copied in); does not start it.
    /// Takes ownership of <see cref="ContainerLaunch.Spec"/>.</summary>
    Task CreateContainerAsync(ContainerLaunch launch, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a container's init (no exec spec) or an exec, with its stdio already attached so no
    /// output is lost. Returns the guest side of the stdio streams that were asked for.
    /// </summary>
    Task<ProcessStreams> StartProcessAsync(ProcessLaunch launch, CancellationToken cancellationToken);

    /// <summary>Waits for a started process to end; returns its status (128+signal when killed).</summary>
    Task<uint> WaitProcessAsync(ProcessKey process, CancellationToken cancellationToken);

    /// <summary>Forgets a finished exec in the guest (its exit status record).</summary>
    Task RemoveProcessAsync(ProcessKey process, CancellationToken cancellationToken);

    Task SignalProcessAsync(ProcessKey process, int signal, bool allProcesses, CancellationToken cancellationToken);

    Task ResizeTerminalAsync(ProcessKey process, uint width, uint height, CancellationToken cancellationToken);

    Task PauseContainerAsync(string containerId, CancellationToken cancellationToken);

    Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken);

    Task<ContainerStats> GetStatsAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>The VMM's counters for the sandbox's metrics (none from a backend without a VMM).</summary>
    Task<Telemetry.VmmMetricsReport> VmmMetricsAsync(CancellationToken cancellationToken) => Task.FromResult(Telemetry.VmmMetricsReport.None);

    /// <summary>Asks the VMM process to give back the memory it no longer uses (<see cref="Memory.MemoryTrim"/>); nothing
    /// from a backend without a VMM process of its own.</summary>
    Task TrimVmmMemoryAsync() => Task.CompletedTask;

    /// <summary>The container's processes as guest pids.</summary>
    Task<IReadOnlyList<int>> ListProcessesAsync(string containerId, CancellationToken cancellationToken);

    /// <param name="resourcesJson">OCI runtime-spec LinuxResources as JSON.</param>
    Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken);

    /// <summary>Removes a stopped container from the guest (its overlay, cgroup, state).</summary>
    Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Ids of containers whose cgroup hit its memory limit, as the guest reports them, until the VM stops.</summary>
    IAsyncEnumerable<string> WatchOomAsync(CancellationToken cancellationToken);

    /// <summary>Stops the VM and releases everything it holds on the host (threads, fds, sockets, files).</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
