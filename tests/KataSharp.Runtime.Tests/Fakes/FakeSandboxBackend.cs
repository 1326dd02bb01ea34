using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>
/// A test double for the pod VM (never shipped): records what the Task service asks of it and
/// lets a test play the guest — write output, end processes, crash the VM, report an OOM. Its layers go through the
/// real <see cref="BlockSlots"/>, with this fake as the VM's side of the slots.
/// </summary>
public sealed class FakeSandboxBackend : ISandboxBackend, IBlockMedia
{
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<ProcessKey, FakeProcess> _processes = new();
    private readonly Channel<string> _oom = Channel.CreateUnbounded<string>();
    private BlockSlots? _slots;

    public int HypervisorPid => 4242;

    public Task Exited => _exited.Task;

    public Exception? BootFailure { get; set; }

    public int BootCount { get; private set; }

    /// <summary>The last boot's request (the VM's size is in its configuration).</summary>
    public SandboxBootRequest? LastBoot { get; private set; }

    public bool Stopped { get; private set; }

    public ConcurrentBag<string> Calls { get; } = [];

    /// <summary>The layer images in the VM's block slots, by slot.</summary>
    public ConcurrentDictionary<string, AttachedLayer> AttachedLayers { get; } = new();

    public ConcurrentDictionary<string, ContainerLaunch> Containers { get; } = new();

    public ConcurrentDictionary<ProcessKey, ProcessLaunch> Launches { get; } = new();

    public Task BootAsync(SandboxBootRequest request, CancellationToken cancellationToken)
    {
        BootCount++;
        LastBoot = request;
        _slots = new BlockSlots(request.Configuration.Hypervisor.BlockSlots, this);
        Calls.Add($"boot {request.SandboxId}");
        return BootFailure is null ? Task.CompletedTask : Task.FromException(BootFailure);
    }

    public Task<AttachedLayer> AttachLayerAsync(string containerId, string imagePath, CancellationToken cancellationToken) =>
        Task.FromResult(_slots!.AttachLayer(containerId, imagePath).Layer);

    public Task<bool> DetachLayerAsync(string containerId, AttachedLayer layer, CancellationToken cancellationToken) =>
        Task.FromResult(_slots?.ReleaseLayer(containerId, layer.Serial) ?? false);

    public void InsertMedium(string slot, string path, string serial, bool readOnly) => AttachedLayers[slot] = new AttachedLayer(path, serial);

    public void EjectMedium(string slot) => AttachedLayers.TryRemove(slot, out _);

    public Task CreateContainerAsync(ContainerLaunch launch, CancellationToken cancellationToken)
    {
        Containers[launch.ContainerId] = launch;
        Calls.Add($"create {launch.ContainerId}");
        return Task.CompletedTask;
    }

    public Task<ProcessStreams> StartProcessAsync(ProcessLaunch launch, CancellationToken cancellationToken)
    {
        Launches[launch.Key] = launch;
        var process = new FakeProcess(launch.Key, launch.Terminal);
        _processes[launch.Key] = process;
        Calls.Add($"start {launch.Key}");
        return Task.FromResult(new ProcessStreams(
            launch.WantsStdin ? process.Stdin.Writer : null,
            launch.WantsStdout ? process.Stdout.Reader : null,
            launch.WantsStderr && !launch.Terminal ? process.Stderr.Reader : null));
    }

    public Task<uint> WaitProcessAsync(ProcessKey process, CancellationToken cancellationToken) =>
        Process(process).ExitCode.WaitAsync(cancellationToken);

    public Task RemoveProcessAsync(ProcessKey process, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {process}");
        return Task.CompletedTask;
    }

    public Task SignalProcessAsync(ProcessKey process, int signal, bool allProcesses, CancellationToken cancellationToken)
    {
        FakeProcess target = Process(process);
        target.Signals.Add(signal);
        if (signal is 9 or 15)
        {
            target.Exit((uint)(128 + signal));
        }
        return Task.CompletedTask;
    }

    public List<(ProcessKey Key, uint Width, uint Height)> Resizes { get; } = [];

    public Task ResizeTerminalAsync(ProcessKey process, uint width, uint height, CancellationToken cancellationToken)
    {
        Resizes.Add((process, width, height));
        return Task.CompletedTask;
    }

    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Calls.Add($"pause {containerId}");
        return Task.CompletedTask;
    }

    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Calls.Add($"resume {containerId}");
        return Task.CompletedTask;
    }

    public Task<ContainerStats> GetStatsAsync(string containerId, CancellationToken cancellationToken) =>
        Task.FromResult(new ContainerStats(1500, 1000, 500, 8 << 20, 256 << 20, 6 << 20, 2 << 20, 1 << 20, 42, 3, 2, 100));

    public Task<IReadOnlyList<int>> ListProcessesAsync(string containerId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<int>>([1, 7]);

    public string? LastUpdate { get; private set; }

    public Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken)
    {
        LastUpdate = resourcesJson;
        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Containers.TryRemove(containerId, out _);
        Calls.Add($"remove container {containerId}");
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<string> WatchOomAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (string id in _oom.Reader.ReadAllAsync(cancellationToken))
        {
            yield return id;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stopped = true;
        _slots?.MediaGone();
        _exited.TrySetResult();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // ---- the test plays the guest ----

    public FakeProcess Process(ProcessKey key) =>
        _processes.TryGetValue(key, out var process) ? process : throw new InvalidOperationException($"{key} was never started");

    public bool IsStarted(ProcessKey key) => _processes.ContainsKey(key);

    public void ReportOom(string containerId) => _oom.Writer.TryWrite(containerId);

    /// <summary>The VM dies: every guest wait fails, as it does when the backend ends its calls on the VM's exit.</summary>
    public void Crash()
    {
        foreach (var process in _processes.Values)
        {
            process.Fail(new IOException("vsock connection to the agent lost"));
        }
        _slots?.MediaGone();
        _exited.TrySetResult();
    }

    /// <summary>
    /// The VM dies and the guest waits stay pending for ever, as over a dead connection nobody
    /// resets: the supervisor must not depend on them to report the exits.
    /// </summary>
    public void CrashLeavingWaitsPending()
    {
        _slots?.MediaGone();
        _exited.TrySetResult();
    }
}
