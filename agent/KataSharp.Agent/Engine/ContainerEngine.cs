using System.Collections.Concurrent;
using KataSharp.Agent.Engine.Cgroups;
using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Devices;
using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Engine.Reaping;
using KataSharp.Agent.Engine.Rootfs;
using KataSharp.Agent.Engine.Spawning;
using KataSharp.Agent.Engine.Spec;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Processes;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Engine;

/// <summary>
/// The container engine: creates, starts, execs into, signals and removes containers. Each
/// operation validates first (nothing changes on bad input), then prepares the root filesystem
/// and cgroup, then lets ks-spawn do the post-fork work. Undo on failure is explicit.
/// </summary>
public sealed class ContainerEngine : IDisposable
{
    private static readonly TimeSpan RemoveTimeout = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, Container> _containers = new();
    private readonly ConcurrentDictionary<string, byte> _creating = new();
    private readonly EngineOptions _options;
    private readonly ILogger _logger;
    private readonly LayerMounts _layers;
    private readonly BlockDeviceFinder _disks;
    private readonly GuestDevices _guestDevices;

    public ContainerEngine(EngineOptions options, ILoggerFactory loggers)
    {
        _options = options;
        _logger = loggers.CreateLogger("engine");
        Directory.CreateDirectory(ContainersDir);
        Poller = new FdPoller();
        Reaper = new Reaper(options.ReapUnknownChildren, loggers.CreateLogger("reaper"));
        Launcher = new ProcessLauncher(options.SpawnHelperPath, Reaper, Poller);
        Cgroups = new CgroupRoot(options.CgroupMountPoint, options.CgroupName, Poller);
        Oom = new OomMonitor(Poller, loggers.CreateLogger("oom"));
        _disks = new BlockDeviceFinder(options.SysBlockDir);
        _layers = new LayerMounts(Path.Combine(options.StateDir, "layers"), _disks);
        _guestDevices = new GuestDevices(options.SysDevDir);
    }

    public FdPoller Poller { get; }

    public Reaper Reaper { get; }

    public ProcessLauncher Launcher { get; }

    public CgroupRoot Cgroups { get; }

    public OomMonitor Oom { get; }

    /// <summary>Hostname for containers with a UTS namespace whose spec names none (the sandbox's).</summary>
    public string? DefaultHostname { get; set; }

    private string ContainersDir => Path.Combine(_options.StateDir, "containers");

    /// <param name="join">Namespaces to join from another container of the sandbox (a pod's sandbox container), or null.</param>
    /// <param name="blockVolumes">Host block devices on virtio-blk disks, each bound at one bind mount of the spec.</param>
    public async Task<int> CreateAsync(string id, ReadOnlyMemory<byte> specJson, RootfsRequest? rootfsSpec, StdioRequest io, CancellationToken cancellationToken,
        NamespaceJoinRequest? join = null, IReadOnlyList<BlockVolumeRequest>? blockVolumes = null)
    {
        ValidateId(id, "container_id");
        OciSpec spec = OciJson.ParseSpec(specJson.Span);
        BlockVolumeBinds.Apply(spec, blockVolumes ?? [], _disks.Find);
        ContainerPlan plan = SpecValidator.Validate(id, spec, DefaultHostname, GuestPathKind, join?.Types ?? NamespaceSet.None);
        plan = plan with { Devices = GuestDevicesFor(id, plan) };
        if (_containers.ContainsKey(id) || !_creating.TryAdd(id, 0))
        {
            throw AgentException.AlreadyExists($"container '{id}' already exists");
        }
        ContainerRootfs? rootfs = null;
        ContainerCgroup? cgroup = null;
        ProcessStdio? stdio = null;
        // The container whose namespaces are joined stays unremovable (its gate) until ks-spawn has joined them.
        Container? owner = null;
        try
        {
            IReadOnlyList<(NamespaceSet, string)> joins = [];
            if (join is not null)
            {
                Container named = NamespaceOwner(id, join);
                await named.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                owner = named;
                joins = OwnedNamespaces(owner, join.Types);
            }
            rootfs = ContainerRootfs.Create(Path.Combine(ContainersDir, id), rootfsSpec, _layers);
            plan = plan with { Process = UserResolver.Resolve(plan.Process, rootfs.Path, "process") };
            if (Cgroups.IsAvailable)
            {
                cgroup = Cgroups.CreateFor(id);
                cgroup.Apply(plan.Resources, "linux.resources");
            }
            else if (CgroupResources.ToFiles(plan.Resources, "linux.resources").Count > 0)
            {
                throw AgentException.FailedPrecondition($"linux.resources needs cgroup v2, which is not mounted at {Cgroups.MountPoint}");
            }
            stdio = ProcessStdio.Create(Poller, io.Stdin, io.Stdout, io.Stderr, plan.Process.Terminal, plan.Process.ConsoleSize);
            byte[] encoded = PlanEncoder.ForCreate(plan, rootfs.Path, cgroup?.ProcsFile, joins);
            SpawnedProcess spawned = await Launcher.LaunchAsync(encoded, stdio.ChildStdin, stdio.ChildStdout, stdio.ChildStderr,
                stdio.ChildTerminalSocket, waitForStart: true, fieldPrefix: "", cancellationToken).ConfigureAwait(false);
            stdio.ReleaseChildEnds();
            stdio.AttachTerminal();
            var init = new ContainerProcess("", spawned, stdio, started: false);
            var container = new Container(plan, rootfs, cgroup, init, _logger);
            if (cgroup is not null)
            {
                Oom.Watch(id, cgroup.MemoryEventsFile);
            }
            _containers[id] = container;
            _logger.LogInformation("container {Id} created: init pid {Pid}", id, init.Pid);
            return init.Pid;
        }
        catch
        {
            stdio?.Dispose();
            if (cgroup is not null)
            {
                await RemoveCgroupQuietlyAsync(cgroup).ConfigureAwait(false);
            }
            rootfs?.Dispose();
            throw;
        }
        finally
        {
            owner?.Gate.Release();
            _creating.TryRemove(id, out _);
        }
    }

    public async Task StartAsync(string id, CancellationToken cancellationToken)
    {
        Container c = Get(id);
        await c.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            c.Require("start", ContainerState.Created);
            await c.Init.StartAsync(cancellationToken).ConfigureAwait(false);
            c.MarkStarted();
        }
        finally
        {
            c.Gate.Release();
        }
    }

    public async Task<int> ExecAsync(string id, string execId, ReadOnlyMemory<byte> processJson, StdioRequest io, CancellationToken cancellationToken)
    {
        ValidateId(execId, "exec_id");
        Container c = Get(id);
        ProcessPlan process = ProcessValidator.Validate(OciJson.ParseProcess(processJson.Span), "process_json");
        await c.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        ProcessStdio? stdio = null;
        try
        {
            c.Require("exec into", ContainerState.Running);
            c.ReserveExecId(execId);
            process = UserResolver.Resolve(process, c.Rootfs.Path, "process_json");
            if (process.Terminal && !c.Plan.Mounts.Any(m => m.Type == "devpts"))
            {
                throw AgentException.Invalid("process_json.terminal", "needs a devpts mount at /dev/pts in the container");
            }
            var joins = NamespaceJoins(c.Init.Pid, c.Plan.Namespaces);
            stdio = ProcessStdio.Create(Poller, io.Stdin, io.Stdout, io.Stderr, process.Terminal, process.ConsoleSize);
            byte[] encoded = PlanEncoder.ForExec(process, joins, c.Cgroup?.ProcsFile, c.Plan.Seccomp);
            SpawnedProcess spawned = await Launcher.LaunchAsync(encoded, stdio.ChildStdin, stdio.ChildStdout, stdio.ChildStderr,
                stdio.ChildTerminalSocket, waitForStart: false, fieldPrefix: "process_json.", cancellationToken).ConfigureAwait(false);
            stdio.ReleaseChildEnds();
            stdio.AttachTerminal();
            var exec = new ContainerProcess(execId, spawned, stdio, started: true);
            c.AddExec(exec);
            return exec.Pid;
        }
        catch
        {
            stdio?.Dispose();
            throw;
        }
        finally
        {
            c.Gate.Release();
        }
    }

    public void Signal(string id, string execId, int signal, bool all)
    {
        if (signal is < 1 or > 64)
        {
            throw AgentException.Invalid("signal", $"{signal} is not a signal number (1-64)");
        }
        Container c = Get(id);
        ContainerProcess p = c.GetProcess(execId);
        if (all)
        {
            if (execId.Length != 0)
            {
                throw AgentException.Invalid("all", "signals every process of the container: use it with the init process (exec_id \"\")");
            }
            if (c.Cgroup is not null)
            {
                if (signal == ProcessSignal.SIGKILL && c.Cgroup.KillAll())
                {
                    return;
                }
                foreach (int pid in c.Cgroup.Pids())
                {
                    ProcessSignal.Send(pid, signal);
                }
                return;
            }
        }
        if (p.State == ProcessState.Stopped || !Reaper.Signal(p.Pid, signal))
        {
            throw AgentException.NotFound($"process '{(execId.Length == 0 ? "init" : execId)}' of container '{id}' has already exited");
        }
    }

    public Task<ProcessExit> WaitAsync(string id, string execId, CancellationToken cancellationToken) =>
        Get(id).GetProcess(execId).Exited.WaitAsync(cancellationToken);

    public void RemoveProcess(string id, string execId)
    {
        if (execId.Length == 0)
        {
            throw AgentException.Invalid("process.exec_id", "the init process goes with RemoveContainer");
        }
        Get(id).RemoveExec(execId).Dispose();
    }

    public ContainerProcess GetProcess(string id, string execId) => Get(id).GetProcess(execId);

    public async Task UpdateAsync(string id, ReadOnlyMemory<byte> resourcesJson, CancellationToken cancellationToken)
    {
        OciResources resources = OciJson.ParseResources(resourcesJson.Span);
        Container c = Get(id);
        await c.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            c.Require("update", ContainerState.Created, ContainerState.Running, ContainerState.Paused);
            (c.Cgroup ?? throw AgentException.FailedPrecondition($"cgroup v2 is not mounted at {Cgroups.MountPoint}")).Apply(resources, "resources");
        }
        finally
        {
            c.Gate.Release();
        }
    }

    public CgroupStatistics Stats(string id) =>
        (Get(id).Cgroup ?? throw AgentException.FailedPrecondition($"cgroup v2 is not mounted at {Cgroups.MountPoint}")).ReadStats();

    public async Task SetPausedAsync(string id, bool paused, CancellationToken cancellationToken)
    {
        Container c = Get(id);
        await c.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            c.Require(paused ? "pause" : "resume", paused ? ContainerState.Running : ContainerState.Paused);
            ContainerCgroup cgroup = c.Cgroup ?? throw AgentException.FailedPrecondition($"pausing needs cgroup v2, which is not mounted at {Cgroups.MountPoint}");
            await cgroup.SetFrozenAsync(paused, cancellationToken).ConfigureAwait(false);
            c.MoveTo(paused ? ContainerState.Paused : ContainerState.Running);
        }
        finally
        {
            c.Gate.Release();
        }
    }

    /// <summary>Kills what still runs, waits for every process to be reaped, then releases mounts and the cgroup.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        Container c = Get(id);
        await c.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var processes = c.Execs.Append(c.Init).ToList();
            if (c.Cgroup is null || !c.Cgroup.KillAll())
            {
                foreach (ContainerProcess p in processes)
                {
                    Reaper.Signal(p.Pid, ProcessSignal.SIGKILL);
                }
            }
            Task all = Task.WhenAll(processes.Select(p => p.Exited));
            if (await Task.WhenAny(all, Task.Delay(RemoveTimeout, cancellationToken)).ConfigureAwait(false) != all)
            {
                throw AgentException.Internal($"container '{id}' still has processes {RemoveTimeout.TotalSeconds}s after SIGKILL");
            }
            foreach (ContainerProcess p in processes)
            {
                p.Dispose();
            }
            Oom.Unwatch(id);
            if (c.Cgroup is not null)
            {
                await c.Cgroup.RemoveAsync(cancellationToken).ConfigureAwait(false);
            }
            c.Rootfs.Dispose();
            _containers.TryRemove(id, out _);
            _logger.LogInformation("container {Id} removed", id);
        }
        finally
        {
            c.Gate.Release();
        }
    }

    public IReadOnlyList<Container> List() => _containers.Values.OrderBy(c => c.Id, StringComparer.Ordinal).ToList();

    /// <summary>Removes every container (DestroySandbox, shutdown).</summary>
    public async Task RemoveAllAsync(CancellationToken cancellationToken)
    {
        foreach (Container c in List())
        {
            try
            {
                await RemoveAsync(c.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentException e)
            {
                _logger.LogError(e, "removing container {Id} failed", c.Id);
            }
        }
    }

    private Container Get(string id) =>
        _containers.TryGetValue(id, out Container? c) ? c : throw AgentException.NotFound($"no container '{id}'");

    /// <summary>The container a join names: one of this sandbox's (the agent serves one pod), not the new container itself.</summary>
    private Container NamespaceOwner(string id, NamespaceJoinRequest join)
    {
        if (join.ContainerId == id)
        {
            throw AgentException.Invalid("join_namespaces.container_id", $"container '{id}' cannot join its own namespaces");
        }
        return _containers.TryGetValue(join.ContainerId, out Container? owner)
            ? owner
            : throw AgentException.NotFound($"join_namespaces.container_id: no container '{join.ContainerId}' in this sandbox to join the namespaces of");
    }

    /// <summary>
    /// The /proc/&lt;pid&gt;/ns entries of <paramref name="owner"/>'s init for <paramref name="types"/> (call with its gate held).
    /// Only namespaces the owner made itself: one it did not make is the guest's, i.e. the agent's own, and one it joined
    /// is shared already and must be joined at its source. The init must be running: a created container's namespaces
    /// hold a process that has not been started yet, a stopped one's are gone.
    /// </summary>
    private static List<(NamespaceSet, string)> OwnedNamespaces(Container owner, NamespaceSet types)
    {
        ContainerState state = owner.State;
        if (state is not (ContainerState.Running or ContainerState.Paused))
        {
            throw AgentException.FailedPrecondition($"join_namespaces.container_id: container '{owner.Id}' is {state}; its namespaces can be joined only while it runs");
        }
        NamespaceSet notOwned = types & ~owner.Plan.Owned;
        if (notOwned != NamespaceSet.None)
        {
            throw AgentException.FailedPrecondition(
                $"join_namespaces.namespace_types: container '{owner.Id}' has no {notOwned} namespace of its own to share (it runs in the guest's or another container's)");
        }
        return NamespaceJoins(owner.Init.Pid, types);
    }

    private static List<(NamespaceSet, string)> NamespaceJoins(int pid, NamespaceSet namespaces)
    {
        // Mount last: after it, /proc/<pid> paths would resolve in the container's view.
        var order = new (NamespaceSet Flag, string Name)[]
        {
            (NamespaceSet.Ipc, "ipc"), (NamespaceSet.Uts, "uts"), (NamespaceSet.Cgroup, "cgroup"), (NamespaceSet.Pid, "pid"), (NamespaceSet.Mount, "mnt"),
        };
        return order.Where(o => namespaces.HasFlag(o.Flag)).Select(o => (o.Flag, $"/proc/{pid}/ns/{o.Name}")).ToList();
    }

    /// <summary>The plan's devices that exist in the guest, and for a privileged container the guest's block devices (GuestDevices says why).</summary>
    private IReadOnlyList<DevicePlan> GuestDevicesFor(string id, ContainerPlan plan)
    {
        GuestDevices.Selection devices = _guestDevices.Select(plan.Devices, withGuestBlockDevices: plan.AllDevicesAllowed);
        foreach (DevicePlan d in devices.NotInGuest)
        {
            _logger.LogDebug("container {Id}: device /{Path} ({Number}) is not made: the guest kernel has no such device (a host device number names nothing here)",
                id, d.Path, d.Number);
        }
        // A mount at a device's path wins (a host block device bound at /dev/vdb, say, in a privileged container that also
        // gets the guest's disks): nodes are made after mounts, and runc too keeps what is there when mknod finds it taken.
        var mounted = new HashSet<string>(plan.Mounts.Select(m => m.Destination.TrimStart('/')), StringComparer.Ordinal);
        foreach (DevicePlan d in devices.Made.Where(d => mounted.Contains(d.Path)))
        {
            _logger.LogDebug("container {Id}: device /{Path} is not made: a mount of the spec is there", id, d.Path);
        }
        return devices.Made.Where(d => !mounted.Contains(d.Path)).ToList();
    }

    private static bool? GuestPathKind(string path) =>
        Directory.Exists(path) ? true : File.Exists(path) ? false : null;

    private static void ValidateId(string id, string field)
    {
        if (id.Length is 0 or > 128 || !char.IsAsciiLetterOrDigit(id[0]) || id.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.'))
        {
            throw AgentException.Invalid(field, $"'{id}' is not a valid id (1-128 characters: letters, digits, - _ . ; starting with a letter or digit)");
        }
    }

    private async Task RemoveCgroupQuietlyAsync(ContainerCgroup cgroup)
    {
        try
        {
            cgroup.KillAll();
            await cgroup.RemoveAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or AgentException)
        {
            _logger.LogWarning(e, "could not remove cgroup {Path}", cgroup.Path);
        }
    }

    public void Dispose()
    {
        RemoveAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        Oom.Dispose();
        Reaper.Dispose();
        Poller.Dispose();
        Launcher.Dispose();
        Cgroups.RemoveIfEmpty();
    }
}
