using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Telemetry;

namespace KataSharp.Runtime.Sandbox;

/// <summary>
/// The pod's VM as one object: boots it on first use (configuration → backend → agent ready),
/// turns rootfs snapshots into layer images attached for a container (the backend's <see cref="BlockSlots"/> shares
/// them across the pod's containers), runs containers and processes in it, reports the VM's death, and stops it.
/// The task supervisor's one door to the VM: every guest operation goes through here, refused (Unavailable) unless the
/// VM is running. Callers serialize boot and stop.
/// </summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private readonly Func<RuntimeConfiguration, ISandboxBackend> _backendFactory;
    private readonly Func<string?, RuntimeConfiguration> _configurationLoader;
    private readonly Func<RuntimeConfiguration, LayerImageCache> _layerCacheFactory;
    private readonly RuntimeLog _log;
    private readonly SandboxLifecycle _lifecycle = new();
    // One lease per attached cached image, so `katasharp gc` leaves it alone until it leaves the VM.
    private readonly Dictionary<string, LayerImageLease> _leases = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private ISandboxBackend? _backend;
    private LayerImageCache? _layers;
    private RuntimeConfiguration? _configuration;
    private PodCgroup? _cgroup;
    private int _disposed;

    public SandboxHost(
        string sandboxId,
        string stateDirectory,
        Func<RuntimeConfiguration, ISandboxBackend> backendFactory,
        Func<string?, RuntimeConfiguration> configurationLoader,
        Func<RuntimeConfiguration, LayerImageCache> layerCacheFactory,
        RuntimeLog log,
        StartTimeline? timeline = null)
    {
        Timeline = timeline ?? StartTimeline.Null;
        SandboxId = sandboxId;
        StateDirectory = stateDirectory;
        _backendFactory = backendFactory;
        _configurationLoader = configurationLoader;
        _layerCacheFactory = layerCacheFactory;
        _log = log;
    }

    public string SandboxId { get; }

    public string StateDirectory { get; }

    /// <summary>The shim's pod-start timeline, which every phase of the pod's start is recorded into.</summary>
    public StartTimeline Timeline { get; }

    public SandboxState State => _lifecycle.State;

    /// <summary>Called once when the VM goes away without being asked to (crash, guest power-off).</summary>
    public Action? VmExited { get; set; }

    /// <summary>
    /// Called with a container id when the guest reports an OOM kill in it — only for ids
    /// <see cref="OwnsContainer"/> accepts, and bounded in number and rate (<see cref="OomEventRelay"/>).
    /// </summary>
    public Action<string>? ContainerOom { get; set; }

    /// <summary>True for a container id this shim runs: the guest names containers, so nothing else is forwarded.</summary>
    public Func<string, bool>? OwnsContainer { get; set; }

    /// <summary>The running VM's backend; Unavailable when there is none.</summary>
    private ISandboxBackend Backend => _backend is not null && _lifecycle.State == SandboxState.Running
        ? _backend
        : throw new RuntimeException(RuntimeError.Unavailable, $"sandbox {SandboxId}: the VM is {_lifecycle.State.ToString().ToLowerInvariant()}");

    public RuntimeConfiguration Configuration => _configuration ?? throw new InvalidOperationException("not booted");

    /// <summary>The pid containerd sees for every task: the shim's own (the VMM runs inside it).</summary>
    public int HypervisorPid => _backend?.HypervisorPid ?? Environment.ProcessId;

    /// <summary>The running VM was booted with [runtime] debug_console: its guest serves a root shell to the host.</summary>
    public bool DebugConsole => _configuration?.Runtime.DebugConsole ?? false;

    /// <summary>The pod's cgroup directory the shim moved into, if it did.</summary>
    public string? CgroupPath => _cgroup?.Path;

    /// <summary>
    /// Boots the VM unless it runs already: sized for the pod (configuration + the pod's limits), in the
    /// pod's cgroup. Either way the container must fit the VM. Configuration problems name their keys.
    /// </summary>
    public async Task EnsureRunningAsync(string? configPath, ContainerPlacement placement, CancellationToken cancellationToken)
    {
        if (_lifecycle.State == SandboxState.Running)
        {
            VmSizing.RequireFits(placement.ContainerId, placement.MemoryLimitBytes, Configuration.Hypervisor);
            return;
        }
        long loading = Timeline.Now;
        RuntimeConfiguration configuration = _configurationLoader(configPath);
        _log.UseConfiguredLevel(configuration.Runtime.EffectiveLogLevel);
        Timeline.Record(StartPhase.ConfigLoaded, loading);
        ConfigurationAssets.Require(configuration);
        configuration = configuration with { Hypervisor = VmSizing.For(configuration.Hypervisor, placement.Pod, configuration.SourcePath) };
        VmSizing.RequireFits(placement.ContainerId, placement.MemoryLimitBytes, configuration.Hypervisor);
        _lifecycle.Apply(SandboxEvent.Boot);
        ISandboxBackend backend = _backendFactory(configuration);
        try
        {
            if (configuration.Runtime.SandboxCgroup && placement.CgroupsPath is { } cgroupsPath && _cgroup is null)
            {
                // Before the VM exists: guest RAM is charged to the cgroup of the thread that first touches it.
                _cgroup = PodCgroup.Join(cgroupsPath, _log);
            }
            Directory.CreateDirectory(StateDirectory);
            await backend.BootAsync(new SandboxBootRequest(SandboxId, configuration, StateDirectory, placement.NetworkNamespacePath, Timeline), cancellationToken);
        }
        catch
        {
            _lifecycle.Apply(SandboxEvent.BootFailed);
            await backend.DisposeAsync();
            LeaveCgroup();
            throw;
        }
        _lifecycle.Apply(SandboxEvent.Booted);
        _backend = backend;
        _configuration = configuration;
        _layers = _layerCacheFactory(configuration);
        _log.Info($"sandbox VM running ({configuration.Hypervisor.Vcpus} vCPU, {configuration.Hypervisor.MemoryMib} MiB, config {configuration.SourcePath})");
        if (configuration.Runtime.DebugConsole)
        {
            _log.Warn($"debug console on ([runtime] debug_console = true in {configuration.SourcePath}): root on this host gets a root shell " +
                $"in this sandbox's guest with `katasharp exec {SandboxId}`; for debugging only");
        }
        _ = backend.Exited.ContinueWith(_ => OnBackendExited(), TaskScheduler.Default);
        _ = Task.Run(() => ForwardOomAsync(backend));
    }

    /// <summary>Layer images for a container's rootfs, attached to block slots, topmost first.</summary>
    public async Task<IReadOnlyList<AttachedLayer>> AttachRootfsAsync(string containerId, IReadOnlyList<RootfsMount> rootfs, CancellationToken cancellationToken)
    {
        var snapshot = SnapshotLayers.From(rootfs);
        var images = new List<(string Path, LayerImageLease? Lease)>();
        var attached = new List<AttachedLayer>();
        try
        {
            for (int i = 0; i < snapshot.Count; i++)
            {
                SnapshotLayer layer = snapshot[i];
                long converting = Timeline.Now;
                if (layer.IsImmutable)
                {
                    LayerImageLease lease = await _layers!.LeaseAsync(layer, cancellationToken);
                    images.Add((lease.Path, lease));
                }
                else
                {
                    string image = Path.Combine(StateDirectory, $"rootfs-{containerId}-{i}.erofs");
                    await _layers!.BuildUncachedAsync(layer, image, cancellationToken);
                    images.Add((image, null));
                }
                Timeline.Record(StartPhase.LayerConversion, converting, containerId, cached: images[^1].Lease is { Built: false });
            }
            foreach (var (image, lease) in images)
            {
                attached.Add(await Backend.AttachLayerAsync(containerId, image, cancellationToken));
                KeepLease(image, lease);
            }
        }
        catch
        {
            // Leases of images that were never attached (KeepLease disposes the others with their layers).
            foreach (var (image, lease) in images.Skip(attached.Count))
            {
                lease?.Dispose();
            }
            await ReleaseLayersAsync(containerId, attached, cancellationToken);
            throw;
        }
        return attached;
    }

    /// <summary>The first lease of an attached image is kept until it is detached; later ones are redundant.</summary>
    private void KeepLease(string image, LayerImageLease? lease)
    {
        if (lease is not null && !_leases.TryAdd(image, lease))
        {
            lease.Dispose();
        }
    }

    private void DropLease(string image)
    {
        if (_leases.Remove(image, out LayerImageLease? lease))
        {
            lease.Dispose();
        }
    }

    /// <summary>Drops a container's hold on its layers; a layer no container uses leaves its slot, and its image's lease goes.
    /// After the VM stopped or died the backend only updates its record (the slots went with the VM).</summary>
    public async Task ReleaseLayersAsync(string containerId, IReadOnlyList<AttachedLayer> layers, CancellationToken cancellationToken)
    {
        foreach (AttachedLayer layer in layers)
        {
            // A detach that fails did take the image out of the record (only the last user's detach reaches the VM).
            bool left = true;
            try
            {
                left = _backend is not null && await _backend.DetachLayerAsync(containerId, layer, cancellationToken);
            }
            finally
            {
                if (left)
                {
                    DropLease(layer.ImagePath);
                }
            }
        }
    }

    /// <summary>Creates the container in the guest (does not start it); takes ownership of <see cref="ContainerLaunch.Spec"/>.</summary>
    public Task CreateContainerAsync(ContainerLaunch launch, CancellationToken cancellationToken) =>
        Backend.CreateContainerAsync(launch, cancellationToken);

    /// <summary>Starts a container's init or an exec with its stdio attached (see <see cref="ISandboxBackend.StartProcessAsync"/>).</summary>
    public Task<ProcessStreams> StartProcessAsync(ProcessLaunch launch, CancellationToken cancellationToken) =>
        Backend.StartProcessAsync(launch, cancellationToken);

    public Task<uint> WaitProcessAsync(ProcessKey process, CancellationToken cancellationToken) =>
        Backend.WaitProcessAsync(process, cancellationToken);

    public Task SignalProcessAsync(ProcessKey process, int signal, bool allProcesses, CancellationToken cancellationToken) =>
        Backend.SignalProcessAsync(process, signal, allProcesses, cancellationToken);

    public Task ResizeTerminalAsync(ProcessKey process, uint width, uint height, CancellationToken cancellationToken) =>
        Backend.ResizeTerminalAsync(process, width, height, cancellationToken);

    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken) =>
        Backend.PauseContainerAsync(containerId, cancellationToken);

    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken) =>
        Backend.ResumeContainerAsync(containerId, cancellationToken);

    /// <summary>The VMM's counters while the sandbox runs; none before it booted or after it stopped.</summary>
    public Task<Telemetry.VmmMetricsReport> VmmMetricsAsync(CancellationToken cancellationToken) =>
        _backend is { } backend && _lifecycle.State == SandboxState.Running ? backend.VmmMetricsAsync(cancellationToken) : Task.FromResult(Telemetry.VmmMetricsReport.None);

    /// <summary>The VMM process's trim while the sandbox runs; nothing before it booted or after it stopped.</summary>
    public Task TrimVmmMemoryAsync() =>
        _backend is { } backend && _lifecycle.State == SandboxState.Running ? backend.TrimVmmMemoryAsync() : Task.CompletedTask;

    public Task<ContainerStats> GetStatsAsync(string containerId, CancellationToken cancellationToken) =>
        Backend.GetStatsAsync(containerId, cancellationToken);

    public Task<IReadOnlyList<int>> ListProcessesAsync(string containerId, CancellationToken cancellationToken) =>
        Backend.ListProcessesAsync(containerId, cancellationToken);

    public Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken) =>
        Backend.UpdateContainerAsync(containerId, resourcesJson, cancellationToken);

    /// <summary>Removes a stopped container from the guest; nothing to remove when the VM is not running (the guest's
    /// state went with it).</summary>
    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        State == SandboxState.Running ? Backend.RemoveContainerAsync(containerId, cancellationToken) : Task.CompletedTask;

    /// <summary>Forgets a finished exec in the guest; nothing to forget when the VM is not running.</summary>
    public Task RemoveProcessAsync(ProcessKey process, CancellationToken cancellationToken) =>
        State == SandboxState.Running ? Backend.RemoveProcessAsync(process, cancellationToken) : Task.CompletedTask;

    /// <summary>Stops the VM (if any) and removes the sandbox's state directory. Idempotent.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        long stoppedAt = Timeline.Now;
        await _stopping.CancelAsync();
        bool stopping;
        lock (_lifecycle)
        {
            stopping = _lifecycle.TryApply(SandboxEvent.Stop);
        }
        if (stopping && _backend is not null)
        {
            try
            {
                await _backend.StopAsync(cancellationToken);
            }
            finally
            {
                lock (_lifecycle)
                {
                    _lifecycle.TryApply(SandboxEvent.VmExited);
                }
                await _backend.DisposeAsync();
                _log.Info($"sandbox VM stopped; dropped by the guest-output bounds: {_log.Drops}");
            }
        }
        // Whatever way the VM went, it holds no image any more.
        foreach (string image in _leases.Keys.ToList())
        {
            DropLease(image);
        }
        LeaveCgroup();
        try
        {
            if (Directory.Exists(StateDirectory))
            {
                Directory.Delete(StateDirectory, recursive: true);
            }
        }
        catch (IOException e)
        {
            // Something still writes there (it would be a bug: every writer is stopped above); say what is left.
            _log.Error($"cannot remove the sandbox's state directory {StateDirectory}: {e.Message}");
            throw;
        }
        if (stopping)
        {
            Timeline.Record(StartPhase.Teardown, stoppedAt);
        }
    }

    private void LeaveCgroup()
    {
        _cgroup?.Leave(_log);
        _cgroup = null;
    }

    private void OnBackendExited()
    {
        bool unexpected;
        lock (_lifecycle)
        {
            // Only from Running: during Stopping the exit is the one we asked for.
            unexpected = _lifecycle.State == SandboxState.Running && _lifecycle.TryApply(SandboxEvent.VmExited);
        }
        if (unexpected)
        {
            _log.Error("sandbox VM exited unexpectedly: every process in it is reported exited");
            VmExited?.Invoke();
        }
    }

    private async Task ForwardOomAsync(ISandboxBackend backend)
    {
        await using var relay = new OomEventRelay(id => OwnsContainer?.Invoke(id) ?? false, id => ContainerOom?.Invoke(id), _log);
        try
        {
            await foreach (string containerId in backend.WatchOomAsync(_stopping.Token))
            {
                relay.Offer(containerId);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RuntimeException or IOException)
        {
            _log.Debug($"OOM watch ended: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StopAsync(CancellationToken.None);
            _stopping.Dispose();
        }
    }
}
