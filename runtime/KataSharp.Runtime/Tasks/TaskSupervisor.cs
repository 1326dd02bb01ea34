using KataSharp.Linux.Files;
using KataSharp.Runtime.Events;
using KataSharp.Runtime.Io;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Memory;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Oci;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Telemetry;

namespace KataSharp.Runtime.Tasks;

/// <summary>
/// The containers and processes of one pod, driven by containerd's Task API in domain terms.
/// Locking: <c>_state</c> guards the container map and every process's lifecycle and exit (short,
/// never across an await); <c>_sandboxGate</c> serializes create/delete and VM boot/stop;
/// each container's Gate serializes its process operations. Wait holds no lock at all.
/// Events go to one ordered sink: create → start → exit → delete, exec exits before init's.
/// </summary>
public sealed class TaskSupervisor : IAsyncDisposable
{
    /// <summary>How long an init exit waits for its execs' exits to be published first (they die with it).</summary>
    private static readonly TimeSpan ExecExitGrace = TimeSpan.FromSeconds(5);

    private readonly object _state = new();
    private readonly SemaphoreSlim _sandboxGate = new(1, 1);
    private readonly Dictionary<string, TaskContainer> _containers = new(StringComparer.Ordinal);
    private readonly SandboxHost _sandbox;
    private readonly ITaskEventSink _events;
    private readonly SandboxStateStore? _store;
    private readonly RuntimeLog _log;
    private readonly ShimIdentity _identity;
    private readonly MemoryTrim? _trim;

    public TaskSupervisor(SandboxHost sandbox, ITaskEventSink events, SandboxStateStore? store, ShimIdentity identity, RuntimeLog log,
        MemoryTrim? trim = null)
    {
        _sandbox = sandbox;
        _events = events;
        _store = store;
        _identity = identity;
        _log = log;
        _trim = trim;
        _sandbox.VmExited = OnVmExited;
        _sandbox.ContainerOom = id => _events.Publish(TaskEvents.Oom(id));
        _sandbox.OwnsContainer = HasContainer;
    }

    /// <summary>The pid reported for every task and process: the VM's, i.e. this shim's.</summary>
    public uint Pid => (uint)_sandbox.HypervisorPid;

    public int ContainerCount
    {
        get
        {
            lock (_state)
            {
                return _containers.Count;
            }
        }
    }

    /// <summary>The pod's containers (for their guest stats in the sandbox's metrics).</summary>
    public IReadOnlyList<string> ContainerIds
    {
        get
        {
            lock (_state)
            {
                return [.. _containers.Keys];
            }
        }
    }

    /// <summary>True for a container of this pod (the OOM events the guest sends name containers).</summary>
    private bool HasContainer(string containerId)
    {
        lock (_state)
        {
            return _containers.ContainsKey(containerId);
        }
    }

    public async Task<uint> CreateAsync(CreateTaskCommand command, CancellationToken cancellationToken)
    {
        ContainerdIdentifier.Require(command.Id);
        await _sandboxGate.WaitAsync(cancellationToken);
        try
        {
            lock (_state)
            {
                if (_containers.ContainsKey(command.Id))
                {
                    throw new RuntimeException(RuntimeError.AlreadyExists, $"container {command.Id}: already exists");
                }
            }
            try
            {
                return await CreateInSandboxAsync(command, cancellationToken);
            }
            catch when (ContainerCount == 0)
            {
                // The pod's first container failed: nothing may keep the VM alive.
                await _sandbox.StopAsync(CancellationToken.None);
                throw;
            }
        }
        finally
        {
            _sandboxGate.Release();
        }
    }

    public async Task<uint> StartAsync(ProcessKey key, CancellationToken cancellationToken)
    {
        var (container, process) = Find(key);
        await container.Gate.WaitAsync(cancellationToken);
        try
        {
            lock (_state)
            {
                process.Lifecycle.Require(ProcessEvent.Start);
            }
            ProcessStdio stdio = process.Stdio;
            var launch = new ProcessLaunch(key, process.ExecSpecJson, stdio.Terminal, stdio.Stdin is not null, stdio.Stdout is not null, stdio.Stderr is not null);
            StartTimeline timeline = _sandbox.Timeline;
            long starting = timeline.Now;
            ProcessStreams streams = await _sandbox.StartProcessAsync(launch, cancellationToken);
            long started = key.IsInit ? timeline.Record(StartPhase.StartContainer, starting, key.ContainerId) : starting;
            ProcessIoBridge io;
            try
            {
                // Once per container, however often the guest writes: the bridge calls it for its first byte only.
                io = ProcessIoBridge.Start(stdio, streams, _log, key,
                    key.IsInit ? () => timeline.Record(StartPhase.FirstOutputByte, started, key.ContainerId) : null);
            }
            catch (Exception e) when (e is KataSharp.Linux.LinuxException or IOException)
            {
                // The client's FIFOs are unusable: a process nobody can talk to must not keep running.
                await _sandbox.SignalProcessAsync(key, 9, allProcesses: true, CancellationToken.None);
                throw new RuntimeException(RuntimeError.InvalidArgument, $"{key}: cannot open its stdio FIFOs: {e.Message}");
            }
            lock (_state)
            {
                process.Io = io;
                process.Lifecycle.Apply(ProcessEvent.Start);
                // Published before the exit watcher exists, so TaskStart always precedes TaskExit.
                _events.Publish(key.IsInit ? TaskEvents.Start(key.ContainerId, Pid) : TaskEvents.ExecStarted(key, Pid));
            }
            _ = Task.Run(() => WatchExitAsync(container, process));
            // The trim runs once the pod is quiet, after this reply and the calls after it.
            _trim?.Started();
            return Pid;
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task ExecAsync(ExecCommand command, CancellationToken cancellationToken)
    {
        ContainerdIdentifier.Require(command.Key.ExecId ?? "", "exec id");
        var (container, _) = Find(command.Key with { ExecId = null });
        await container.Gate.WaitAsync(cancellationToken);
        try
        {
            lock (_state)
            {
                if (container.Init.State is not (ProcessState.Created or ProcessState.Running or ProcessState.Paused))
                {
                    throw new RuntimeException(RuntimeError.FailedPrecondition, $"container {container.Id}: cannot exec in a {container.Init.State.ToString().ToLowerInvariant()} container");
                }
                if (container.Execs.ContainsKey(command.Key.ExecId!))
                {
                    throw new RuntimeException(RuntimeError.AlreadyExists, $"{command.Key}: already exists");
                }
                container.Execs.Add(command.Key.ExecId!, new TaskProcess(command.Key, command.Stdio, command.ProcessSpecJson));
                _events.Publish(TaskEvents.ExecAdded(command.Key));
            }
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public ProcessView State(ProcessKey key)
    {
        var (container, process) = Find(key);
        lock (_state)
        {
            return new ProcessView(key, container.Bundle, Pid, process.State, process.Stdio, process.Exit);
        }
    }

    /// <summary>Waits for the exit without holding any lock; works before Start and any number of times after.</summary>
    public async Task<ExitStatus> WaitAsync(ProcessKey key, CancellationToken cancellationToken)
    {
        var (_, process) = Find(key);
        return await process.Exited.WaitAsync(cancellationToken);
    }

    public async Task KillAsync(ProcessKey key, int signal, bool all, CancellationToken cancellationToken)
    {
        var (container, process) = Find(key);
        await container.Gate.WaitAsync(cancellationToken);
        try
        {
            bool unstarted;
            lock (_state)
            {
                if (process.State is ProcessState.Stopped or ProcessState.Deleted)
                {
                    throw new RuntimeException(RuntimeError.NotFound, $"{key}: process already finished");
                }
                unstarted = process.State == ProcessState.Created;
            }
            if (unstarted)
            {
                // Never started: nothing runs in the guest yet, so the signal just ends it (as runc's kill of a created container).
                PublishExit(process, new ExitStatus((uint)(128 + signal), DateTimeOffset.UtcNow));
                return;
            }
            await _sandbox.SignalProcessAsync(key, signal, all, cancellationToken);
        }
        finally
        {
            container.Gate.Release();
        }
    }

    public async Task CloseIoAsync(ProcessKey key, CancellationToken cancellationToken)
    {
        var (_, process) = Find(key);
        if (process.Io is { } io)
        {
            await io.CloseStdinAsync(TimeSpan.FromSeconds(_sandbox.Configuration.Runtime.IoDrainTimeoutSeconds)).WaitAsync(cancellationToken);
        }
    }

    public async Task ResizePtyAsync(ProcessKey key, uint width, uint height, CancellationToken cancellationToken)
    {
        var (_, process) = Find(key);
        if (!process.Stdio.Terminal)
        {
            throw new RuntimeException(RuntimeError.FailedPrecondition, $"{key}: has no terminal to resize");
        }
        if (process.State == ProcessState.Running)
        {
            await _sandbox.ResizeTerminalAsync(key, width, height, cancellationToken);
        }
    }

    public Task PauseAsync(string containerId, CancellationToken cancellationToken) =>
        ChangeRunStateAsync(containerId, ProcessEvent.Pause, cancellationToken);

    public Task ResumeAsync(string containerId, CancellationToken cancellationToken) =>
        ChangeRunStateAsync(containerId, ProcessEvent.Resume, cancellationToken);

    public Task<IReadOnlyList<int>> PidsAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(new ProcessKey(containerId, null));
        return _sandbox.ListProcessesAsync(containerId, cancellationToken);
    }

    public Task<ContainerStats> StatsAsync(string containerId, CancellationToken cancellationToken)
    {
        Find(new ProcessKey(containerId, null));
        return _sandbox.GetStatsAsync(containerId, cancellationToken);
    }

    public Task UpdateAsync(string containerId, string resourcesJson, CancellationToken cancellationToken)
    {
        Find(new ProcessKey(containerId, null));
        return _sandbox.UpdateContainerAsync(containerId, resourcesJson, cancellationToken);
    }

    public async Task<(uint Pid, ExitStatus Exit)> DeleteAsync(ProcessKey key, CancellationToken cancellationToken)
    {
        var (container, process) = Find(key);
        if (!key.IsInit)
        {
            return await DeleteExecAsync(container, process, cancellationToken);
        }
        await _sandboxGate.WaitAsync(cancellationToken);
        try
        {
            await container.Gate.WaitAsync(cancellationToken);
            try
            {
                return await DeleteContainerAsync(container, cancellationToken);
            }
            finally
            {
                container.Gate.Release();
            }
        }
        finally
        {
            _sandboxGate.Release();
        }
    }

    /// <summary>Shutdown: true when the shim may exit now (no container left); otherwise a no-op.</summary>
    public async Task<bool> ShutdownAsync(CancellationToken cancellationToken)
    {
        await _sandboxGate.WaitAsync(cancellationToken);
        try
        {
            if (ContainerCount > 0)
            {
                return false;
            }
            await _sandbox.StopAsync(cancellationToken);
            _store?.Remove(_sandbox.SandboxId);
            await _events.FlushAsync(cancellationToken);
            return true;
        }
        finally
        {
            _sandboxGate.Release();
        }
    }

    private async Task<uint> CreateInSandboxAsync(CreateTaskCommand command, CancellationToken cancellationToken)
    {
        OciBundle bundle = OciBundle.Load(command.Bundle);
        // Before the VM boots: a spec the guest cannot honour (a host directory bind, a host pid namespace) fails at once.
        // Both translations edit bundle.Spec in place; this Create owns it until the launch hands it to the backend.
        NamespaceJoin? join = PodNamespaces.ForGuest(bundle.Spec, bundle.Annotations);
        RequirePodContainer(command.Id, join);
        VmSpecAdapter.ForGuest(bundle.Spec, FileNode.TryOf, out var hostDirectories, out var blockDevices);
        var placement = new ContainerPlacement(command.Id, PodResources.FromAnnotations(bundle.Annotations), bundle.CgroupsPath, bundle.MemoryLimitBytes,
            bundle.NetworkNamespacePath);
        await _sandbox.EnsureRunningAsync(command.ConfigPath, placement, cancellationToken);
        IReadOnlyList<AttachedLayer> layers = await _sandbox.AttachRootfsAsync(command.Id, command.Rootfs, cancellationToken);
        try
        {
            var launch = new ContainerLaunch(command.Id, bundle.Spec, layers, bundle.ReadBindMountedFiles(), command.Stdio, hostDirectories, join, blockDevices);
            long creating = _sandbox.Timeline.Now;
            await _sandbox.CreateContainerAsync(launch, cancellationToken); // the spec is the backend's from here
            _sandbox.Timeline.Record(StartPhase.CreateContainer, creating, command.Id);
        }
        catch
        {
            await _sandbox.ReleaseLayersAsync(command.Id, layers, CancellationToken.None);
            throw;
        }
        lock (_state)
        {
            _containers.Add(command.Id, new TaskContainer(command.Id, command.Bundle, command.Stdio, layers));
            _events.Publish(TaskEvents.Create(command, Pid));
        }
        Persist();
        _log.Info("container created", command.Id);
        return Pid;
    }

    /// <summary>A container joins only namespaces of a container this shim runs, i.e. of its own pod.</summary>
    private void RequirePodContainer(string containerId, NamespaceJoin? join)
    {
        if (join is not null && !HasContainer(join.ContainerId))
        {
            throw new RuntimeException(RuntimeError.NotFound,
                $"container {containerId}: shares the {string.Join(", ", join.Namespaces).ToLowerInvariant()} namespaces of its pod's sandbox {join.ContainerId} " +
                $"({OciBundle.SandboxIdAnnotation}), which is not a container of this pod");
        }
    }

    private async Task<(uint, ExitStatus)> DeleteContainerAsync(TaskContainer container, CancellationToken cancellationToken)
    {
        TaskProcess init = container.Init;
        await ReleaseForDeleteAsync(init, () => _sandbox.RemoveContainerAsync(container.Id, cancellationToken));
        await _sandbox.ReleaseLayersAsync(container.Id, container.Layers, cancellationToken);
        ExitStatus exit;
        lock (_state)
        {
            init.Lifecycle.Apply(ProcessEvent.Delete);
            _containers.Remove(container.Id);
            exit = init.Exit!;
            _events.Publish(TaskEvents.Delete(container.Id, Pid, exit));
        }
        Persist();
        _log.Info("container deleted", container.Id);
        if (ContainerCount == 0)
        {
            // The last container of the pod is gone: the VM has nothing left to run.
            await _sandbox.StopAsync(cancellationToken);
        }
        return (Pid, exit);
    }

    private async Task<(uint, ExitStatus)> DeleteExecAsync(TaskContainer container, TaskProcess exec, CancellationToken cancellationToken)
    {
        await container.Gate.WaitAsync(cancellationToken);
        try
        {
            await ReleaseForDeleteAsync(exec, () => _sandbox.RemoveProcessAsync(exec.Key, cancellationToken));
            lock (_state)
            {
                exec.Lifecycle.Apply(ProcessEvent.Delete);
                container.Execs.Remove(exec.Key.ExecId!);
                return (Pid, exec.Exit!);
            }
        }
        finally
        {
            container.Gate.Release();
        }
    }

    /// <summary>
    /// The part of Delete shared by containers and execs: refuse a live process, settle a
    /// never-started one, close its stdio, and let the guest forget it (when there still is a guest).
    /// </summary>
    private async Task ReleaseForDeleteAsync(TaskProcess process, Func<Task> removeInGuest)
    {
        lock (_state)
        {
            process.Lifecycle.Require(ProcessEvent.Delete);
        }
        FinishUnstarted(process, 0);
        if (process.Io is { } io)
        {
            await io.DisposeAsync();
        }
        await removeInGuest(); // a no-op when the VM is not running (its guest state went with it)
    }

    private async Task ChangeRunStateAsync(string containerId, ProcessEvent change, CancellationToken cancellationToken)
    {
        var (container, init) = Find(new ProcessKey(containerId, null));
        await container.Gate.WaitAsync(cancellationToken);
        try
        {
            lock (_state)
            {
                init.Lifecycle.Require(change);
            }
            if (change == ProcessEvent.Pause)
            {
                await _sandbox.PauseContainerAsync(containerId, cancellationToken);
            }
            else
            {
                await _sandbox.ResumeContainerAsync(containerId, cancellationToken);
            }
            lock (_state)
            {
                init.Lifecycle.Apply(change);
                _events.Publish(change == ProcessEvent.Pause ? TaskEvents.Paused(containerId) : TaskEvents.Resumed(containerId));
            }
        }
        finally
        {
            container.Gate.Release();
        }
    }

    /// <summary>
    /// The exit path of a started process: guest wait → output drained (bounded) → for init, its
    /// execs' exits first (bounded) → stopped, TaskExit queued, Wait released.
    /// </summary>
    private async Task WatchExitAsync(TaskContainer container, TaskProcess process)
    {
        uint code;
        long waiting = _sandbox.Timeline.Now;
        try
        {
            code = await _sandbox.WaitProcessAsync(process.Key, CancellationToken.None);
            if (process.Key.IsInit)
            {
                _sandbox.Timeline.Record(StartPhase.Exit, waiting, process.Key.ContainerId);
            }
        }
        catch (Exception e)
        {
            if (process.Exit is not null)
            {
                return; // the VM died: its exit was reported with everything else in it
            }
            _log.Warn($"{process.Key}: waiting for the exit failed ({e.Message}); reporting it killed", process.Key.ContainerId);
            code = ExitStatus.Killed;
        }
        var exitedAt = DateTimeOffset.UtcNow;
        var drain = TimeSpan.FromSeconds(_sandbox.State == SandboxState.Running ? _sandbox.Configuration.Runtime.IoDrainTimeoutSeconds : 0);
        if (process.Io is { } io && await Task.WhenAny(io.OutputDone, Task.Delay(drain)) != io.OutputDone)
        {
            _log.Warn($"{process.Key}: output still open {drain.TotalSeconds} s after the exit (a child keeps it?); reporting the exit anyway", process.Key.ContainerId);
        }
        if (process.Key.IsInit)
        {
            Task[] execExits;
            lock (_state)
            {
                execExits = container.Execs.Values.Where(e => e.State == ProcessState.Running).Select(e => e.ExitPublished).ToArray();
            }
            await Task.WhenAny(Task.WhenAll(execExits), Task.Delay(ExecExitGrace));
        }
        PublishExit(process, new ExitStatus(code, exitedAt));
    }

    private void PublishExit(TaskProcess process, ExitStatus exit)
    {
        bool first;
        lock (_state)
        {
            first = process.MarkExited(exit);
            if (first)
            {
                _events.Publish(TaskEvents.Exit(process.Key, Pid, exit));
            }
        }
        process.MarkExitPublished();
        if (first)
        {
            _log.Info($"{process.Key} exited with status {exit.Code}", process.Key.ContainerId);
        }
    }

    /// <summary>A process that never started ends here, without an exit event (nothing ran).</summary>
    private void FinishUnstarted(TaskProcess process, uint code)
    {
        lock (_state)
        {
            if (process.State == ProcessState.Created)
            {
                process.MarkExited(new ExitStatus(code, DateTimeOffset.UtcNow));
            }
        }
    }

    /// <summary>
    /// The VM died on its own (guest panic, triple fault, VMM error): nothing in it runs any more, and
    /// its agent will never answer a wait. Every live process is reported killed now — execs before
    /// their init, as on a normal exit — so Wait returns, TaskExit reaches containerd, and Delete and
    /// Shutdown can run; the exit watchers that are still waiting find the exit already published.
    /// </summary>
    private void OnVmExited()
    {
        List<TaskProcess> live;
        lock (_state)
        {
            live = _containers.Values.SelectMany(c => c.Execs.Values.Append(c.Init))
                .Where(p => p.State is ProcessState.Created or ProcessState.Running or ProcessState.Paused)
                .ToList();
        }
        var exitedAt = DateTimeOffset.UtcNow;
        foreach (var process in live)
        {
            PublishExit(process, new ExitStatus(ExitStatus.Killed, exitedAt));
        }
    }

    private (TaskContainer Container, TaskProcess Process) Find(ProcessKey key)
    {
        lock (_state)
        {
            if (!_containers.TryGetValue(key.ContainerId, out var container))
            {
                throw new RuntimeException(RuntimeError.NotFound, $"container {key.ContainerId}: not found");
            }
            TaskProcess? process = container.Find(key.ExecId);
            if (process is null)
            {
                throw new RuntimeException(RuntimeError.NotFound, $"{key}: not found");
            }
            return (container, process);
        }
    }

    private void Persist()
    {
        if (_store is null)
        {
            return;
        }
        List<ContainerRecord> containers;
        lock (_state)
        {
            containers = _containers.Values.Select(c => new ContainerRecord(c.Id, c.Bundle)).ToList();
        }
        _store.Save(new SandboxRecord(_sandbox.SandboxId, _identity.Namespace, _identity.Pid, _identity.StartTime, _identity.SocketPath, containers, _sandbox.CgroupPath,
            _sandbox.DebugConsole));
    }

    public async ValueTask DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        _sandboxGate.Dispose();
    }
}
