using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using KataSharp.Agent.Protocol;
using KataSharp.Linux;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Network;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Telemetry;
using KataSharp.Runtime.Volumes;
using KataSharp.Shim.Backend.Agent;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using ContainerStats = KataSharp.Runtime.Model.ContainerStats;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The shipped <see cref="ISandboxBackend"/>: the pod's VM runs inside the shim (<see cref="GuestMachine"/>)
/// and every container operation is a call to the guest agent over in-process vsock
/// (<see cref="AgentConnection"/>). Process identities stay containerd's (container id + exec id).
/// A pod with a network namespace (<see cref="SandboxBootRequest.NetworkNamespacePath"/>) is connected to it before
/// the VM is built (<see cref="PodNetwork"/>: a tap per CNI veth, tc redirects both ways), the VM gets a virtio-net
/// device per tap, and the guest's interfaces, routes and neighbours are set through the agent once it serves.
/// </summary>
public sealed class VmSandboxBackend : ISandboxBackend
{
    private static readonly TimeSpan ConnectRetry = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a broken agent connection waits for the VM's own end before the guest is declared
    /// unreachable: the VMM's death is seen through its process end, a little after its sockets close.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(3);

    private readonly RuntimeLog _log;
    private readonly Func<SandboxBootRequest, IReadOnlyList<PodInterface>, IGuestVm> _startVm;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _vmGone = new();
    private IGuestVm? _machine;
    /// <summary>The VM's block slots: what is in each, under which serial, for which containers.</summary>
    private BlockSlots? _slots;
    private PodNetwork? _podNetwork;
    private PodPortForwarding? _portForwarding;
    private AgentConnection? _agent;
    private AgentCalls? _calls;
    private GuestLogListener? _guestLog;
    private PodVolumeSet? _volumes;
    private Task _volumesStopped = Task.CompletedTask;
    private string _whyGone = "not started";
    private string? _consoleAtExit;
    private string? _failure;
    private int _released;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _forbiddenSyscallAfterStart = new(StringComparer.Ordinal);

    public VmSandboxBackend(RuntimeLog log)
        : this(log, (request, podInterfaces) => StartMachine(request, podInterfaces, log))
    {
    }

    /// <summary>The VM in a confined process of its own (the default), or inside the shim when [runtime] confine_vmm is off.</summary>
    private static IGuestVm StartMachine(SandboxBootRequest request, IReadOnlyList<PodInterface> podInterfaces, RuntimeLog log)
    {
        if (request.Configuration.Runtime.ConfineVmm)
        {
            return ConfinedGuestMachine.Start(request.Configuration, request.StateDirectory, log, podInterfaces);
        }
        log.Warn("the VMM is not confined ([runtime] confine_vmm = false, for debugging only): it runs inside the shim as root, " +
            "so an escape from the device model is root on the host");
        return GuestMachine.Start(request.Configuration, request.StateDirectory, log, podInterfaces);
    }

    /// <param name="startVm">Creates and starts the pod's VM with a net device per pod interface (tests hand in a fake one).</param>
    public VmSandboxBackend(RuntimeLog log, Func<SandboxBootRequest, IReadOnlyList<PodInterface>, IGuestVm> startVm)
    {
        _log = log;
        _startVm = startVm;
    }

    public int HypervisorPid => Environment.ProcessId;

    public Task Exited => _exited.Task;

    private AgentService.AgentServiceClient Agent => (_agent ?? throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running")).Agent;

    private AgentCalls Calls => _calls ?? throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running");

    public async Task BootAsync(SandboxBootRequest request, CancellationToken cancellationToken)
    {
        var configuration = request.Configuration;
        IReadOnlyList<PodInterface> podInterfaces = AttachPodNetwork(request.NetworkNamespacePath);
        _log.Debug("creating the sandbox VM");
        StartTimeline timeline = request.Timeline ?? StartTimeline.Null;
        long creating = timeline.Now;
        IGuestVm machine = _startVm(request, podInterfaces);
        _machine = machine;
        _slots = new BlockSlots(machine.BlockSlotCount, machine);
        long vmStarted = timeline.Record(StartPhase.VmCreated, creating);
        _whyGone = "still running";
        _ = machine.Exited.ContinueWith(t => OnMachineExited(t.Result), TaskScheduler.Default);
        string logSocket = $"{machine.VsockSocket}_{AgentProtocolConstants.LogPort}";
        _guestLog = GuestLogListener.Start(logSocket, _log, machine.AgentLogConnected);
        machine.AdmitHostSocket(logSocket);
        _log.Info($"sandbox VM started: {configuration.Hypervisor.Vcpus} vCPU, {configuration.Hypervisor.MemoryMib} MiB, kernel {configuration.Hypervisor.Kernel}, cmdline \"{machine.KernelCmdline}\"");

        AgentSettings agent = configuration.Agent;
        var dialTimeout = TimeSpan.FromSeconds(agent.DialTimeoutSeconds);
        _agent = new AgentConnection(ct => machine.ConnectAsync(AgentProtocolConstants.GrpcPort, ct), dialTimeout,
            TimeSpan.FromSeconds(agent.KeepAliveIntervalSeconds), TimeSpan.FromSeconds(agent.KeepAliveTimeoutSeconds));
        _calls = new AgentCalls(TimeSpan.FromSeconds(agent.RequestTimeoutSeconds), _vmGone.Token, () => _whyGone);
        try
        {
            await WaitForAgentPortAsync(TimeSpan.FromSeconds(configuration.Hypervisor.BootTimeoutSeconds), dialTimeout, cancellationToken);
            await _agent.WaitUntilServingAsync(TimeSpan.FromSeconds(agent.ReadyTimeoutSeconds), cancellationToken);
            await Calls.RequestAsync("CreateSandbox", o => Agent.CreateSandboxAsync(
                new CreateSandboxRequest { SandboxId = request.SandboxId, Hostname = Hostname(request.SandboxId) }, o), cancellationToken);
        }
        catch (Exception e) when (e is RuntimeException or OperationCanceledException)
        {
            string why = machine.Exited.IsCompleted ? $"the VM stopped during boot ({machine.Exited.Result})" : e.Message;
            throw new RuntimeException(e is RuntimeException r ? r.Error : RuntimeError.DeadlineExceeded,
                $"sandbox {request.SandboxId}: the guest did not come up: {why}\n--- last lines of the guest console ---\n{ConsoleTail()}", e);
        }
        _log.Info($"guest agent ready {timeline.Since(vmStarted).TotalMilliseconds:0} ms after VM start");
        timeline.Record(StartPhase.AgentReady, vmStarted);
        await RecordGuestBootAsync(timeline, vmStarted, cancellationToken);
        RuntimeSettings runtime = configuration.Runtime;
        _volumes = new PodVolumeSet(new AgentGuestVolumes(Agent, Calls),
            new VolumeLimits((long)runtime.VolumeMaxMib << 20, runtime.VolumeMaxEntries, configuration.SourcePath),
            TimeSpan.FromMilliseconds(runtime.VolumeSyncIntervalMs), _log);
        await ConfigureGuestNetworkAsync(podInterfaces, cancellationToken);
        StartPortForwarding(machine, podInterfaces);
    }

    /// <summary>
    /// The guest's own count from its kernel's start until its agent served (GuestDetails), for the start timeline; one more
    /// request, so only when debug records are written. The guest's word: capped at the host's time since the VM started,
    /// which its kernel cannot have started before. A guest that does not answer costs the phase, not the boot.
    /// </summary>
    private async Task RecordGuestBootAsync(StartTimeline timeline, long vmStarted, CancellationToken cancellationToken)
    {
        if (!_log.IsDebugEnabled)
        {
            return;
        }
        try
        {
            GuestDetails details = await Calls.RequestAsync("guest details", o => Agent.GetGuestDetailsAsync(new GetGuestDetailsRequest(), o), cancellationToken);
            ulong sinceVmStartMs = (ulong)timeline.Since(vmStarted).TotalMilliseconds;
            timeline.RecordDuration(StartPhase.GuestBoot, TimeSpan.FromMilliseconds(Math.Min(details.AgentReadyBoottimeMs, sinceVmStartMs)));
        }
        catch (RuntimeException e)
        {
            _log.Debug($"no guest boot time for the start timeline: {e.Message}");
        }
    }

    /// <summary>
    /// CRI port forwarding for a pod on a network: containerd dials 127.0.0.1:PORT in the pod's namespace on the host,
    /// and those connections are carried to the guest (<see cref="PodPortForwarding"/>). A kernel that cannot steer
    /// them (no sk_lookup) costs the pod only that: `kubectl port-forward` is refused, as it was before.
    /// </summary>
    private void StartPortForwarding(IGuestVm machine, IReadOnlyList<PodInterface> podInterfaces)
    {
        if (podInterfaces.Count == 0 || _podNetwork is not { } network)
        {
            return;
        }
        try
        {
            _portForwarding = PodPortForwarding.Start(network.NamespacePath, (port, ct) => GuestPortForward.ConnectAsync(machine.ConnectAsync, port, ct), _log);
            _log.Info($"port forwarding: connections to 127.0.0.1 in {network.NamespacePath} are carried to the guest");
        }
        catch (Exception e) when (e is LinuxException or System.Net.Sockets.SocketException)
        {
            _log.Warn($"port forwarding unavailable for this pod (kubectl port-forward will be refused): {e.Message}");
        }
    }

    /// <summary>
    /// Connects the pod's network namespace (before the VM exists: virtio-mmio has no hotplug). No path (host
    /// network, plain `ctr run`) or the shim's own namespace: no interfaces, the guest has loopback only. Bad input
    /// (a missing path, not a network namespace, an interface kind other than veth) fails with PodNetwork's message
    /// naming it; PodNetwork has undone its own steps then. What it attached is removed by <see cref="Release"/>.
    /// </summary>
    private IReadOnlyList<PodInterface> AttachPodNetwork(string? namespacePath)
    {
        if (namespacePath is null)
        {
            _log.Debug("no network namespace in the spec: the guest gets loopback only");
            return [];
        }
        PodNetwork network = PodNetwork.Attach(namespacePath);
        _podNetwork = network;
        if (network.IsHostNamespace)
        {
            _log.Info($"network namespace {namespacePath} is the host's own: not attached, the guest gets loopback only");
            return [];
        }
        if (network.Interfaces.Count == 0)
        {
            _log.Info($"pod network {namespacePath} has no configured interface: the guest gets loopback only");
        }
        foreach (PodInterface pod in network.Interfaces)
        {
            _log.Info($"pod network {namespacePath}: {pod.Name} (MAC {pod.GuestMacText}, MTU {pod.Mtu}, {string.Join(", ", pod.Addresses)}; " +
                $"routes {(pod.Routes.Count == 0 ? "none" : string.Join(", ", pod.Routes))}) redirected to {pod.Tap.Name}");
        }
        if (network.Interfaces.Count > 0)
        {
            // pod_network_attached / pod_network_detached are what the CRI scenario reads (tests/testhost/shim/cri.sh).
            _log.Info($"pod network {namespacePath} attached", new LogField("pod_network_attached", TapNames(network)));
        }
        return network.Interfaces;
    }

    /// <summary>The agent configures each guest interface like its veth (found by MAC), then the routes and neighbours.</summary>
    private async Task ConfigureGuestNetworkAsync(IReadOnlyList<PodInterface> podInterfaces, CancellationToken cancellationToken)
    {
        if (podInterfaces.Count == 0)
        {
            return;
        }
        try
        {
            foreach (PodInterface pod in podInterfaces)
            {
                await Calls.RequestAsync($"pod network: configure {pod.Name} in the guest", o => Agent.UpdateInterfaceAsync(GuestNetworkRequests.Interface(pod), o), cancellationToken);
            }
            UpdateRoutesRequest routes = GuestNetworkRequests.Routes(podInterfaces);
            await Calls.RequestAsync("pod network: routes", o => Agent.UpdateRoutesAsync(routes, o), cancellationToken);
            AddNeighborsRequest neighbours = GuestNetworkRequests.Neighbours(podInterfaces);
            if (neighbours.Neighbors.Count > 0)
            {
                await Calls.RequestAsync("pod network: neighbours", o => Agent.AddNeighborsAsync(neighbours, o), cancellationToken);
            }
        }
        catch (RuntimeException e)
        {
            throw new RuntimeException(e.Error, $"the pod network {_podNetwork?.NamespacePath} could not be configured in the guest: {e.Message}", e);
        }
        _log.Info($"pod network configured in the guest: {string.Join(", ", podInterfaces.Select(p => p.Name))}");
    }

    /// <summary>
    /// Until the guest accepts on the agent port: each try is one vsock connection attempt (refused
    /// while the guest boots). Ends early, with the reason, when the VM stops.
    /// </summary>
    private async Task WaitForAgentPortAsync(TimeSpan bootTimeout, TimeSpan dialTimeout, CancellationToken cancellationToken)
    {
        IGuestVm machine = _machine!;
        var deadline = DateTime.UtcNow + bootTimeout;
        string last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            if (machine.Exited.IsCompleted)
            {
                throw new RuntimeException(RuntimeError.Unavailable, $"the VM stopped during boot ({machine.Exited.Result})");
            }
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(dialTimeout);
            try
            {
                await using Stream probe = await machine.ConnectAsync(AgentProtocolConstants.GrpcPort, attempt.Token);
                return;
            }
            catch (Exception e) when (e is Vmm.Virtio.Devices.Vsock.VsockException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                last = e.Message;
            }
            await Task.WhenAny(machine.Exited, Task.Delay(ConnectRetry, cancellationToken));
        }
        throw new RuntimeException(RuntimeError.DeadlineExceeded,
            $"the guest agent's vsock port {AgentProtocolConstants.GrpcPort} did not accept within {bootTimeout.TotalSeconds:0} s ([hypervisor.katasharp] boot_timeout_seconds; last attempt: {last})");
    }

    public Task<AttachedLayer> AttachLayerAsync(string containerId, string imagePath, CancellationToken cancellationToken)
    {
        var (slot, layer, inserted) = RunningSlots().AttachLayer(containerId, imagePath);
        if (inserted)
        {
            _log.Debug($"layer {imagePath} in block slot {slot} (serial {layer.Serial})");
        }
        return Task.FromResult(layer);
    }

    public Task<bool> DetachLayerAsync(string containerId, AttachedLayer layer, CancellationToken cancellationToken) =>
        ReleaseSlotsAsync(() => _slots?.ReleaseLayer(containerId, layer.Serial) ?? false, containerId);

    /// <summary>
    /// Empties slots through <paramref name="release"/>. A VM that ended just now (its VMM gone, its exit not handled yet)
    /// refuses the eject, but its media went with it and <see cref="BlockSlots"/> has already freed the slot: that counts
    /// as done, so the Delete after a guest panic succeeds instead of leaving the task listed.
    /// </summary>
    private async Task<bool> ReleaseSlotsAsync(Func<bool> release, string containerId)
    {
        try
        {
            return release();
        }
        catch (RuntimeException e) when (e.Error == RuntimeError.Unavailable && _machine is { } machine)
        {
            if (!await EndsWithinGraceAsync(machine))
            {
                throw; // the VMM is alive: busy, or not answering
            }
            _log.Debug($"block slot: nothing to empty, the sandbox VM is gone ({e.Message})", containerId);
            return true;
        }
    }

    public async Task CreateContainerAsync(ContainerLaunch launch, CancellationToken cancellationToken)
    {
        IReadOnlyList<BlockVolume> devices = AttachBlockDevices(launch);
        try
        {
            await CreateInGuestAsync(launch, devices, cancellationToken);
            if (TestHooks.Enabled && launch.Spec.ReadAnnotations().ContainsKey(TestHooks.ForbiddenSyscallAnnotation))
            {
                _forbiddenSyscallAfterStart.TryAdd(launch.ContainerId, true);
            }
        }
        catch
        {
            _slots?.ReleaseDevices(launch.ContainerId);
            throw;
        }
    }

    /// <summary>
    /// Each host block device the container binds goes into a spare slot: read-only when its mount has <c>ro</c> (the
    /// host descriptor is read-only, so the VMM refuses every guest write), read-write otherwise (the VMM opens the device
    /// O_EXCL then: EBUSY while the host has it mounted). Any failure ejects what this call attached and names the mount.
    /// </summary>
    private List<BlockVolume> AttachBlockDevices(ContainerLaunch launch)
    {
        var attached = new List<BlockVolume>();
        foreach (HostBlockDevice device in launch.HostBlockDevices)
        {
            try
            {
                var (slot, serial) = RunningSlots().AttachDevice(launch.ContainerId, device.Source, device.ReadOnly);
                attached.Add(new BlockVolume { BlockSerial = serial, Destination = device.Destination });
                _log.Info($"{device.Describe()} in block slot {slot} (serial {serial}, {(device.ReadOnly ? "read-only" : "read-write")})", launch.ContainerId);
            }
            catch (RuntimeException e)
            {
                _slots?.ReleaseDevices(launch.ContainerId);
                // A device that cannot be opened (EBUSY, EACCES) or no free slot is the host's state, not a bug of ours.
                RuntimeError error = e.Error == RuntimeError.Internal ? RuntimeError.FailedPrecondition : e.Error;
                throw new RuntimeException(error, $"container {launch.ContainerId}: {device.Describe()}: {e.Message}", e);
            }
        }
        return attached;
    }

    private async Task CreateInGuestAsync(ContainerLaunch launch, IEnumerable<BlockVolume> blockVolumes, CancellationToken cancellationToken)
    {
        var guestSources = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < launch.Files.Count; i++)
        {
            ContainerFile file = launch.Files[i];
            CopyFileResponse copied = await Calls.RequestAsync($"copying {file.Destination} into the guest", o => Agent.CopyFileAsync(new CopyFileRequest
            {
                Path = GuestSpec.CopyPath(launch.ContainerId, i, file),
                Data = ByteString.CopyFrom(file.Content),
                Offset = 0,
                FileSize = (ulong)file.Content.Length,
                Mode = file.ReadOnly ? 0x124u /* 0444 */ : 0x1a4u, /* 0644 */
            }, o), cancellationToken);
            guestSources[file.Destination] = copied.GuestPath;
        }
        PodVolumeSet volumes = _volumes ?? throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running");
        foreach ((string destination, string guestPath) in await volumes.AttachAsync(launch.ContainerId, launch.HostDirectories, cancellationToken))
        {
            guestSources[destination] = guestPath;
        }
        var request = new CreateContainerRequest
        {
            ContainerId = launch.ContainerId,
            OciSpecJson = ByteString.CopyFromUtf8(GuestSpec.ForAgent(launch.Spec, guestSources)),
            Rootfs = new RootFilesystem(),
            Io = new ProcessIo { Stdin = launch.Stdio.Stdin is not null, Stdout = launch.Stdio.Stdout is not null, Stderr = launch.Stdio.Stderr is not null },
            JoinNamespaces = GuestNamespaceJoin.ToProtocol(launch.JoinNamespaces),
        };
        request.BlockVolumes.AddRange(blockVolumes);
        // The runtime lists layers topmost first (lowerdir order); the agent wants the base first.
        foreach (AttachedLayer layer in launch.Layers.Reverse())
        {
            request.Rootfs.Layers.Add(new Layer { BlockSerial = layer.Serial, Fstype = "erofs" });
        }
        try
        {
            await Calls.RequestAsync($"container {launch.ContainerId}: create", o => Agent.CreateContainerAsync(request, o), cancellationToken);
        }
        catch
        {
            await volumes.DetachAsync(launch.ContainerId, CancellationToken.None);
            throw;
        }
    }

    public async Task<ProcessStreams> StartProcessAsync(ProcessLaunch launch, CancellationToken cancellationToken)
    {
        ProcessRef process = Ref(launch.Key);
        if (!launch.Key.IsInit)
        {
            await Calls.RequestAsync($"{launch.Key}: exec", o => Agent.ExecProcessAsync(new ExecProcessRequest
            {
                ContainerId = launch.Key.ContainerId,
                ExecId = launch.Key.ExecId,
                ProcessJson = ByteString.CopyFromUtf8(launch.ExecSpecJson ?? throw new ArgumentException("an exec needs its process spec", nameof(launch))),
                Io = new ProcessIo { Stdin = launch.WantsStdin, Stdout = launch.WantsStdout, Stderr = launch.WantsStderr && !launch.Terminal },
            }, o), cancellationToken);
        }
        // Streams attach before the init starts (and right after an exec starts: the agent keeps early output).
        var streams = new ProcessStreams(
            launch.WantsStdin ? new AgentStdinStream(Agent.WriteStdin(Calls.StreamOptions()), process) : null,
            launch.WantsStdout ? new AgentOutputStream(Agent.ReadStdout(new ReadStreamRequest { Process = process }, Calls.StreamOptions())) : null,
            launch.WantsStderr && !launch.Terminal ? new AgentOutputStream(Agent.ReadStderr(new ReadStreamRequest { Process = process }, Calls.StreamOptions())) : null);
        if (launch.Key.IsInit)
        {
            try
            {
                await Calls.RequestAsync($"{launch.Key}: start", o => Agent.StartContainerAsync(
                    new StartContainerRequest { ContainerId = launch.Key.ContainerId }, o), cancellationToken);
                if (_forbiddenSyscallAfterStart.TryRemove(launch.Key.ContainerId, out _) && _machine is ConfinedGuestMachine confined)
                {
                    _log.Warn("test hook: the VMM is told to make a system call its seccomp filter refuses", launch.Key.ContainerId);
                    confined.MakeForbiddenSyscall();
                }
            }
            catch
            {
                streams.Stdin?.Dispose();
                streams.Stdout?.Dispose();
                streams.Stderr?.Dispose();
                throw;
            }
        }
        return streams;
    }

    public async Task<uint> WaitProcessAsync(ProcessKey process, CancellationToken cancellationToken)
    {
        WaitProcessResponse reply;
        try
        {
            reply = await Calls.WaitAsync($"{process}: wait", o => Agent.WaitProcessAsync(
                new WaitProcessRequest { Process = Ref(process) }, o), cancellationToken);
        }
        catch (RuntimeException e) when (e.Error == RuntimeError.Unavailable && !_vmGone.IsCancellationRequested)
        {
            // The connection to a running guest broke (HTTP/2 keepalive unanswered, or the agent's end
            // reset): a guest nobody can reach is stopped, so every process in it is reported at once.
            Fail($"AgentUnreachable: the guest agent stopped answering while {process} ran ({e.Message})");
            throw;
        }
        return (uint)reply.ExitCode;
    }

    public Task RemoveProcessAsync(ProcessKey process, CancellationToken cancellationToken) =>
        RemoveUnlessGoneAsync($"{process}: remove", () => Calls.RequestAsync($"{process}: remove", o => Agent.RemoveProcessAsync(
            new RemoveProcessRequest { Process = Ref(process) }, o), cancellationToken), process.ContainerId);

    public Task SignalProcessAsync(ProcessKey process, int signal, bool allProcesses, CancellationToken cancellationToken) =>
        Calls.RequestAsync($"{process}: signal {signal}", o => Agent.SignalProcessAsync(new SignalProcessRequest
        {
            Process = Ref(process),
            Signal = (uint)signal,
            All = allProcesses && process.IsInit, // "all" means the whole container: only meaningful on its init
        }, o), cancellationToken);

    public Task ResizeTerminalAsync(ProcessKey process, uint width, uint height, CancellationToken cancellationToken)
    {
        if (width == 0 || height == 0)
        {
            // A client whose own terminal has no size yet (script(1), a fresh pty) sends 0x0: nothing to apply.
            _log.Debug($"{process}: terminal resize to {width}x{height} ignored", process.ContainerId);
            return Task.CompletedTask;
        }
        return Calls.RequestAsync($"{process}: resize terminal", o => Agent.ResizeTtyAsync(
            new ResizeTtyRequest { Process = Ref(process), Columns = width, Rows = height }, o), cancellationToken);
    }

    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken) =>
        Calls.RequestAsync($"container {containerId}: pause", o => Agent.PauseContainerAsync(
            new PauseContainerRequest { ContainerId = containerId }, o), cancellationToken);

    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken) =>
        Calls.RequestAsync($"container {containerId}: resume", o => Agent.ResumeContainerAsync(
            new ResumeContainerRequest { ContainerId = containerId }, o), cancellationToken);

    public async Task<ContainerStats> GetStatsAsync(string containerId, CancellationToken cancellationToken)
    {
        var stats = await Calls.RequestAsync($"container {containerId}: stats", o => Agent.StatsContainerAsync(
            new StatsContainerRequest { ContainerId = containerId }, o), cancellationToken);
        return AgentStats.From(stats);
    }

    /// <summary>On a pool thread: a confined VMM's answer is waited for (bounded by its own timeout).</summary>
    public Task<VmmMetricsReport> VmmMetricsAsync(CancellationToken cancellationToken) =>
        _machine is { } machine ? Task.Run(machine.Metrics, cancellationToken) : Task.FromResult(VmmMetricsReport.None);

    public Task TrimVmmMemoryAsync() =>
        _machine is { } machine ? Task.Run(machine.TrimMemory) : Task.CompletedTask;

    public async Task<IReadOnlyList<int>> ListProcessesAsync(string containerId, CancellationToken cancellationToken)
    {
        var reply = await Calls.RequestAsync($"container {containerId}: list processes", o => Agent.ListContainersAsync(
            new ListContainersRequest(), o), cancellationToken);
        ContainerInfo container = reply.Containers.FirstOrDefault(c => c.ContainerId == containerId)
            ?? throw new RuntimeException(RuntimeError.NotFound, $"container {containerId}: not known to the guest agent");
        var pids = new List<int>();
        if (container.State is not (ContainerState.Stopped or ContainerState.Created) && container.Pid != 0)
        {
            pids.Add((int)container.Pid);
        }
        pids.AddRange(container.Processes.Where(p => p.State == KataSharp.Agent.Protocol.ProcessState.Running && p.Pid != 0 && p.Pid != container.Pid).Select(p => (int)p.Pid));
        return pids;
    }

    public Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken) =>
        Calls.RequestAsync($"container {containerId}: update", o => Agent.UpdateContainerAsync(
            new UpdateContainerRequest { ContainerId = containerId, ResourcesJson = ByteString.CopyFromUtf8(resourcesJson) }, o), cancellationToken);

    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        await RemoveUnlessGoneAsync($"container {containerId}: remove", () => Calls.RequestAsync($"container {containerId}: remove", o => Agent.RemoveContainerAsync(
            new RemoveContainerRequest { ContainerId = containerId }, o), cancellationToken), containerId);
        // Its copied volumes stop being watched (and leave the guest) unless another container of the pod uses them.
        if (_volumes is { } volumes && !_vmGone.IsCancellationRequested)
        {
            await volumes.DetachAsync(containerId, cancellationToken);
        }
        // Its host block devices leave their slots (and the host device is free again: O_EXCL ends with the descriptor).
        await ReleaseSlotsAsync(() =>
        {
            _slots?.ReleaseDevices(containerId);
            return true;
        }, containerId);
    }

    /// <summary>
    /// A removal in a VM that is gone has nothing left to remove: the processes and containers went
    /// with the guest, so Delete succeeds (containerd's `ctr run --rm` and kubelet delete after the
    /// exit we reported) instead of failing with Unavailable and leaving the task listed.
    /// </summary>
    private Task RemoveUnlessGoneAsync(string operation, Func<Task> remove, string containerId)
    {
        if (_vmGone.IsCancellationRequested)
        {
            _log.Debug($"{operation}: nothing to remove, the sandbox VM is gone", containerId);
            return Task.CompletedTask;
        }
        return remove();
    }

    public async IAsyncEnumerable<string> WatchOomAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _vmGone.Token);
        using var call = Agent.OomEvents(new OomEventsRequest(), Calls.StreamOptions().WithCancellationToken(linked.Token));
        while (true)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(linked.Token);
            }
            catch (RpcException e)
            {
                throw AgentErrors.Translate(e, "OOM events");
            }
            if (!more)
            {
                yield break;
            }
            yield return call.ResponseStream.Current.ContainerId;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // No graceful guest shutdown: guest state is thrown away with the VM, and stopping the vCPUs is immediate.
        Release("stopped by the shim");
        await _volumesStopped; // no volume watcher outlives the sandbox
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    /// <summary>
    /// The VM stopped. When nobody asked for it (panic, triple fault, reset, VMM error, or a guest
    /// the host gave up on), the reason and the console go to the log, and everything the VM held is
    /// released at once: its memory, its threads, and every call still waiting on its agent.
    /// </summary>
    private void OnMachineExited(VmExit exit)
    {
        string? failure = Volatile.Read(ref _failure);
        if (exit.Reason != VmExitReason.HostStop || failure is not null)
        {
            _consoleAtExit = _machine?.ConsoleTail(30);
            string why = failure ?? exit.ToString();
            // vm_exit_reason is what the test scenarios read (tests/testhost/shim/env.sh), not the message.
            _log.Error($"sandbox VM exited: {why}\n--- last lines of the guest console ---\n{_consoleAtExit}",
                new LogField("vm_exit_reason", failure is null ? exit.Reason.ToString() : "AgentUnreachable"));
            Release(why);
        }
        _exited.TrySetResult();
    }

    /// <summary>Whether the VM ends (or has ended) within <see cref="ExitGrace"/>: a failure seen just before the VM's end
    /// is usually that end arriving.</summary>
    private static async Task<bool> EndsWithinGraceAsync(IGuestVm machine) =>
        await Task.WhenAny(machine.Exited, Task.Delay(ExitGrace)) == machine.Exited;

    /// <summary>
    /// Gives up on a guest that still runs but cannot be reached: the VM is stopped as if it had died. An agent
    /// connection usually breaks because the VM itself just ended (a panic, a VMM killed by its seccomp filter): the
    /// VM's own end is awaited for <see cref="ExitGrace"/> first, so its reason is the one reported, not this one.
    /// </summary>
    private void Fail(string why)
    {
        if (_machine is not { } machine || Volatile.Read(ref _released) != 0)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            if (await EndsWithinGraceAsync(machine))
            {
                return; // its Exited continuation reports the VM's own reason
            }
            if (Interlocked.CompareExchange(ref _failure, why, null) is null && Volatile.Read(ref _released) == 0)
            {
                machine.Dispose(); // its Exited continuation reports the failure
            }
        });
    }

    /// <summary>Ends every agent call, then stops and frees the VM, its devices and the log listener. Once.</summary>
    private void Release(string why)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        _whyGone = why;
        // Before anything sees the VM gone (the cancellation below ends the waits whose exits a Delete follows): no slot
        // change may reach it afterwards (its devices, and their descriptors, go with it).
        _slots?.MediaGone();
        _vmGone.Cancel();
        // The volume watchers stop polling the host; their guest copies go with the VM.
        _volumesStopped = _volumes?.DisposeAsync().AsTask() ?? Task.CompletedTask;
        _agent?.Dispose();
        try
        {
            _machine?.Dispose();
        }
        finally
        {
            Interlocked.Exchange(ref _portForwarding, null)?.Dispose();
            // After the VM: its net devices have stopped using (and closed) their tap fds.
            DetachPodNetwork();
            _guestLog?.Dispose();
            _exited.TrySetResult();
        }
    }

    /// <summary>Removes the taps and tc filters/qdiscs the pod network added (the namespace itself is CNI's). Never throws:
    /// what could not be removed is logged, and goes when CNI DEL deletes the veth.</summary>
    private void DetachPodNetwork()
    {
        PodNetwork? network = Interlocked.Exchange(ref _podNetwork, null);
        if (network is null)
        {
            return;
        }
        try
        {
            network.Dispose();
            if (network.Interfaces.Count > 0)
            {
                _log.Info($"pod network {network.NamespacePath} detached: {TapNames(network)} and their tc redirects removed",
                    new LogField("pod_network_detached", TapNames(network)));
            }
        }
        catch (RuntimeException e)
        {
            _log.Error(e.Message, new LogField("pod_network_teardown", "incomplete"));
        }
    }

    private static string TapNames(PodNetwork network) => string.Join(',', network.Interfaces.Select(p => p.Tap.Name));

    /// <summary>The guest console's last lines, also after the VM was released.</summary>
    private string ConsoleTail() => _consoleAtExit ?? _machine?.ConsoleTail(30) ?? "(no VM)";

    private IGuestVm RunningMachine() =>
        _machine is { } machine && !machine.Exited.IsCompleted && Volatile.Read(ref _released) == 0 ? machine : throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running");

    /// <summary>The running VM's slots (set with the VM, so <see cref="RunningMachine"/>'s check is theirs).</summary>
    private BlockSlots RunningSlots()
    {
        RunningMachine();
        return _slots!;
    }

    private static ProcessRef Ref(ProcessKey key) => new() { ContainerId = key.ContainerId, ExecId = key.ExecId ?? "" };

    /// <summary>A valid hostname (at most 63 characters) for the guest.</summary>
    private static string Hostname(string sandboxId) => sandboxId.Length <= 63 ? sandboxId : sandboxId[..63];
}
