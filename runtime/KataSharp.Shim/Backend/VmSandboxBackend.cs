using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using KataSharp.Agent.Protocol;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tasks;
using KataSharp.Shim.Backend.Agent;
using KataSharp.Vmm.Machine;
using ContainerStats = KataSharp.Runtime.Tasks.ContainerStats;

namespace KataSharp.Shim.Backend;

/// <summary>
/// The shipped <see cref="ISandboxBackend"/>: the pod's VM runs inside the shim (<see cref="GuestMachine"/>)
/// and every container operation is a call to the guest agent over in-process vsock
/// (<see cref="AgentConnection"/>). Process identities stay containerd's (container id + exec id).
/// </summary>
public sealed class VmSandboxBackend : ISandboxBackend
{
    private static readonly TimeSpan ConnectRetry = TimeSpan.FromMilliseconds(200);

    private readonly RuntimeLog _log;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, string> _slotsBySerial = new(StringComparer.Ordinal);
    private GuestMachine? _machine;
    private AgentConnection? _agent;
    private GuestLogListener? _guestLog;
    private int _stopped;

    public VmSandboxBackend(RuntimeLog log) => _log = log;

    public int HypervisorPid => Environment.ProcessId;

    public Task Exited => _exited.Task;

    private AgentService.AgentServiceClient Agent => (_agent ?? throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running")).Agent;

    public async Task BootAsync(SandboxBootRequest request, CancellationToken cancellationToken)
    {
        var configuration = request.Configuration;
        var started = DateTime.UtcNow;
        _log.Debug("creating the sandbox VM");
        _machine = GuestMachine.Start(configuration, request.StateDirectory, _log);
        _log.Debug($"sandbox VM created and started in {(DateTime.UtcNow - started).TotalMilliseconds:0} ms");
        _ = _machine.Exited.ContinueWith(t => OnMachineExited(t.Result), TaskScheduler.Default);
        _guestLog = GuestLogListener.Start($"{_machine.VsockSocket}_{AgentProtocolConstants.LogPort}", _log, _machine.AgentLogConnected);
        _log.Info($"sandbox VM started: {configuration.Hypervisor.Vcpus} vCPU, {configuration.Hypervisor.MemoryMib} MiB, kernel {configuration.Hypervisor.Kernel}, cmdline \"{_machine.KernelCmdline}\"");

        var dialTimeout = TimeSpan.FromSeconds(configuration.Agent.DialTimeoutSeconds);
        _agent = new AgentConnection(ct => _machine.ConnectAsync(AgentProtocolConstants.GrpcPort, ct), dialTimeout);
        try
        {
            await WaitForAgentPortAsync(TimeSpan.FromSeconds(configuration.Hypervisor.BootTimeoutSeconds), dialTimeout, cancellationToken);
            await _agent.WaitUntilServingAsync(TimeSpan.FromSeconds(configuration.Agent.ReadyTimeoutSeconds), cancellationToken);
            await AgentErrors.CallAsync("CreateSandbox", async () => await Agent.CreateSandboxAsync(
                new CreateSandboxRequest { SandboxId = request.SandboxId, Hostname = Hostname(request.SandboxId) }, cancellationToken: cancellationToken));
        }
        catch (Exception e) when (e is RuntimeException or OperationCanceledException)
        {
            string why = _machine.Exited.IsCompleted ? $"the VM stopped during boot ({_machine.Exited.Result})" : e.Message;
            throw new RuntimeException(e is RuntimeException r ? r.Error : RuntimeError.DeadlineExceeded,
                $"sandbox {request.SandboxId}: the guest did not come up: {why}\n--- last lines of the guest console ---\n{_machine.ConsoleTail(30)}", e);
        }
        _log.Info($"guest agent ready {(DateTime.UtcNow - started).TotalMilliseconds:0} ms after VM start");
    }

    /// <summary>
    /// Until the guest accepts on the agent port: each try is one vsock connection attempt (refused
    /// while the guest boots). Ends early, with the reason, when the VM stops.
    /// </summary>
    private async Task WaitForAgentPortAsync(TimeSpan bootTimeout, TimeSpan dialTimeout, CancellationToken cancellationToken)
    {
        GuestMachine machine = _machine!;
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

    public Task<AttachedLayer> AttachLayerAsync(string imagePath, CancellationToken cancellationToken)
    {
        GuestMachine machine = RunningMachine();
        var (slot, serial) = machine.InsertMedium(imagePath);
        lock (_slotsBySerial)
        {
            _slotsBySerial[serial] = slot;
        }
        _log.Debug($"layer {imagePath} in block slot {slot} (serial {serial})");
        return Task.FromResult(new AttachedLayer(imagePath, serial));
    }

    public Task DetachLayerAsync(AttachedLayer layer, CancellationToken cancellationToken)
    {
        string? slot;
        lock (_slotsBySerial)
        {
            _slotsBySerial.Remove(layer.Serial, out slot);
        }
        if (slot is not null && _machine is { } machine)
        {
            machine.EjectMedium(slot);
        }
        return Task.CompletedTask;
    }

    public async Task CreateContainerAsync(ContainerLaunch launch, CancellationToken cancellationToken)
    {
        var guestSources = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < launch.Files.Count; i++)
        {
            ContainerFile file = launch.Files[i];
            CopyFileResponse copied = await AgentErrors.CallAsync($"copying {file.Destination} into the guest", async () => await Agent.CopyFileAsync(new CopyFileRequest
            {
                Path = GuestSpec.CopyPath(launch.ContainerId, i, file),
                Data = ByteString.CopyFrom(file.Content),
                Offset = 0,
                FileSize = (ulong)file.Content.Length,
                Mode = file.ReadOnly ? 0x124u /* 0444 */ : 0x1a4u, /* 0644 */
            }, cancellationToken: cancellationToken));
            guestSources[file.Destination] = copied.GuestPath;
        }
        var request = new CreateContainerRequest
        {
            ContainerId = launch.ContainerId,
            OciSpecJson = ByteString.CopyFromUtf8(GuestSpec.RewriteBindSources(launch.SpecJson, guestSources)),
            Rootfs = new RootFilesystem(),
            Io = new ProcessIo { Stdin = launch.Stdio.Stdin is not null, Stdout = launch.Stdio.Stdout is not null, Stderr = launch.Stdio.Stderr is not null },
        };
        // The runtime lists layers topmost first (lowerdir order); the agent wants the base first.
        foreach (AttachedLayer layer in launch.Layers.Reverse())
        {
            request.Rootfs.Layers.Add(new Layer { BlockSerial = layer.Serial, Fstype = "erofs" });
        }
        await AgentErrors.CallAsync($"container {launch.ContainerId}: create", async () => await Agent.CreateContainerAsync(request, cancellationToken: cancellationToken));
    }

    public async Task<ProcessStreams> StartProcessAsync(ProcessLaunch launch, CancellationToken cancellationToken)
    {
        ProcessRef process = Ref(launch.Key);
        if (!launch.Key.IsInit)
        {
            await AgentErrors.CallAsync($"{launch.Key}: exec", async () => await Agent.ExecProcessAsync(new ExecProcessRequest
            {
                ContainerId = launch.Key.ContainerId,
                ExecId = launch.Key.ExecId,
                ProcessJson = ByteString.CopyFromUtf8(launch.ExecSpecJson ?? throw new ArgumentException("an exec needs its process spec", nameof(launch))),
                Io = new ProcessIo { Stdin = launch.WantsStdin, Stdout = launch.WantsStdout, Stderr = launch.WantsStderr && !launch.Terminal },
            }, cancellationToken: cancellationToken));
        }
        // Streams attach before the init starts (and right after an exec starts: the agent keeps early output).
        var streams = new ProcessStreams(
            launch.WantsStdin ? new AgentStdinStream(Agent.WriteStdin(cancellationToken: CancellationToken.None), process) : null,
            launch.WantsStdout ? new AgentOutputStream(Agent.ReadStdout(new ReadStreamRequest { Process = process })) : null,
            launch.WantsStderr && !launch.Terminal ? new AgentOutputStream(Agent.ReadStderr(new ReadStreamRequest { Process = process })) : null);
        if (launch.Key.IsInit)
        {
            try
            {
                await AgentErrors.CallAsync($"{launch.Key}: start", async () => await Agent.StartContainerAsync(
                    new StartContainerRequest { ContainerId = launch.Key.ContainerId }, cancellationToken: cancellationToken));
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
        WaitProcessResponse reply = await AgentErrors.CallAsync($"{process}: wait", async () => await Agent.WaitProcessAsync(
            new WaitProcessRequest { Process = Ref(process) }, cancellationToken: cancellationToken));
        return (uint)reply.ExitCode;
    }

    public Task RemoveProcessAsync(ProcessKey process, CancellationToken cancellationToken) =>
        AgentErrors.CallAsync($"{process}: remove", async () => await Agent.RemoveProcessAsync(
            new RemoveProcessRequest { Process = Ref(process) }, cancellationToken: cancellationToken));

    public Task SignalProcessAsync(ProcessKey process, int signal, bool allProcesses, CancellationToken cancellationToken) =>
        AgentErrors.CallAsync($"{process}: signal {signal}", async () => await Agent.SignalProcessAsync(new SignalProcessRequest
        {
            Process = Ref(process),
            Signal = (uint)signal,
            All = allProcesses && process.IsInit, // "all" means the whole container: only meaningful on its init
        }, cancellationToken: cancellationToken));

    public Task ResizeTerminalAsync(ProcessKey process, uint width, uint height, CancellationToken cancellationToken)
    {
        if (width == 0 || height == 0)
        {
            // A client whose own terminal has no size yet (script(1), a fresh pty) sends 0x0: nothing to apply.
            _log.Debug($"{process}: terminal resize to {width}x{height} ignored", process.ContainerId);
            return Task.CompletedTask;
        }
        return AgentErrors.CallAsync($"{process}: resize terminal", async () => await Agent.ResizeTtyAsync(
            new ResizeTtyRequest { Process = Ref(process), Columns = width, Rows = height }, cancellationToken: cancellationToken));
    }

    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken) =>
        AgentErrors.CallAsync($"container {containerId}: pause", async () => await Agent.PauseContainerAsync(
            new PauseContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken));

    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken) =>
        AgentErrors.CallAsync($"container {containerId}: resume", async () => await Agent.ResumeContainerAsync(
            new ResumeContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken));

    public async Task<ContainerStats> GetStatsAsync(string containerId, CancellationToken cancellationToken)
    {
        var stats = await AgentErrors.CallAsync($"container {containerId}: stats", async () => await Agent.StatsContainerAsync(
            new StatsContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken));
        return AgentStats.From(stats);
    }

    public async Task<IReadOnlyList<int>> ListProcessesAsync(string containerId, CancellationToken cancellationToken)
    {
        var reply = await AgentErrors.CallAsync($"container {containerId}: list processes", async () => await Agent.ListContainersAsync(
            new ListContainersRequest(), cancellationToken: cancellationToken));
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
        AgentErrors.CallAsync($"container {containerId}: update", async () => await Agent.UpdateContainerAsync(
            new UpdateContainerRequest { ContainerId = containerId, ResourcesJson = ByteString.CopyFromUtf8(resourcesJson) }, cancellationToken: cancellationToken));

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        AgentErrors.CallAsync($"container {containerId}: remove", async () => await Agent.RemoveContainerAsync(
            new RemoveContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken));

    public async IAsyncEnumerable<string> WatchOomAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var call = Agent.OomEvents(new OomEventsRequest(), cancellationToken: cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(cancellationToken);
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

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return Task.CompletedTask;
        }
        // No graceful guest shutdown: guest state is thrown away with the VM, and stopping the vCPUs is immediate.
        _agent?.Dispose();
        _machine?.Dispose();
        _guestLog?.Dispose();
        _exited.TrySetResult();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None);

    private void OnMachineExited(VmExit exit)
    {
        if (exit.Reason != VmExitReason.HostStop)
        {
            _log.Error($"sandbox VM exited: {exit}\n--- last lines of the guest console ---\n{_machine?.ConsoleTail(30)}");
        }
        _exited.TrySetResult();
    }

    private GuestMachine RunningMachine() =>
        _machine is { } machine && !machine.Exited.IsCompleted ? machine : throw new RuntimeException(RuntimeError.Unavailable, "the sandbox VM is not running");

    private static ProcessRef Ref(ProcessKey key) => new() { ContainerId = key.ContainerId, ExecId = key.ExecId ?? "" };

    /// <summary>A valid hostname (at most 63 characters) for the guest.</summary>
    private static string Hostname(string sandboxId) => sandboxId.Length <= 63 ? sandboxId : sandboxId[..63];
}
