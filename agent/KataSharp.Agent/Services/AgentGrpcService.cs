using Google.Protobuf;
using Grpc.Core;
using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Containers;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Errors;
using KataSharp.Agent.Network;
using KataSharp.Agent.Protocol;
using KataSharp.Agent.Sandbox;
using KataSharp.Linux.Terminals;
using Microsoft.Extensions.Hosting;
using static KataSharp.Agent.Services.ProtocolTranslation;

namespace KataSharp.Agent.Services;

/// <summary>
/// The gRPC surface: each method validates the request shape, calls the engine or the sandbox,
/// and translates back. Errors are mapped in one place (<see cref="ErrorMapping"/>).
/// </summary>
public sealed class AgentGrpcService(ContainerEngine engine, SandboxState sandbox, GuestNetwork network, IHostApplicationLifetime lifetime) : AgentService.AgentServiceBase
{
    // ---- sandbox

    public override Task<CreateSandboxResponse> CreateSandbox(CreateSandboxRequest request, ServerCallContext context)
    {
        sandbox.Claim(request.SandboxId);
        if (request.Hostname.Length > 0)
        {
            sandbox.Settings.SetHostname(request.Hostname);
            engine.DefaultHostname = request.Hostname;
        }
        if (request.Dns is not null)
        {
            sandbox.Settings.WriteResolvConf(request.Dns.Servers, request.Dns.Searches, request.Dns.Options);
        }
        foreach ((string key, string value) in request.Sysctls)
        {
            sandbox.Settings.SetSysctl(key, value);
        }
        return Task.FromResult(new CreateSandboxResponse());
    }

    public override async Task<DestroySandboxResponse> DestroySandbox(DestroySandboxRequest request, ServerCallContext context)
    {
        await engine.RemoveAllAsync(context.CancellationToken);
        if (request.PowerOff)
        {
            // Stop only after this reply has gone out; init ends the VM when the agent exits.
            context.GetHttpContext().Response.OnCompleted(() =>
            {
                lifetime.StopApplication();
                return Task.CompletedTask;
            });
        }
        return new DestroySandboxResponse();
    }

    public override Task<GuestDetails> GetGuestDetails(GetGuestDetailsRequest request, ServerCallContext context)
    {
        var details = new GuestDetails
        {
            KernelRelease = SandboxInfo.KernelRelease(),
            AgentVersion = SandboxInfo.AgentVersion,
            SharedDir = sandbox.Files.Root,
            SeccompSupported = SandboxInfo.SeccompSupported(),
            MemoryTotalBytes = SandboxInfo.MemoryTotalBytes(),
            OnlineCpus = (uint)Environment.ProcessorCount,
            AgentReadyBoottimeMs = sandbox.ReadyAtBootMs,
            AgentRssBytes = SandboxInfo.AgentRssBytes(),
        };
        details.CgroupControllers.Add(engine.Cgroups.Controllers);
        return Task.FromResult(details);
    }

    public override Task<CopyFileResponse> CopyFile(CopyFileRequest request, ServerCallContext context)
    {
        string path = sandbox.Files.Write(request.Path, request.Data.Span, request.Offset, request.FileSize, request.Mode, request.DirMode,
            request.Uid, request.Gid, request.SymlinkTarget, request.Directory);
        return Task.FromResult(new CopyFileResponse { GuestPath = path });
    }

    public override Task<RemoveFileResponse> RemoveFile(RemoveFileRequest request, ServerCallContext context) =>
        Task.FromResult(new RemoveFileResponse { Removed = sandbox.Files.Remove(request.Path) });

    public override Task<PrepareVolumeResponse> PrepareVolume(PrepareVolumeRequest request, ServerCallContext context)
    {
        PodVolumeMedium medium = request.Medium switch
        {
            VolumeMedium.Directory => PodVolumeMedium.Directory,
            VolumeMedium.Tmpfs => PodVolumeMedium.Tmpfs,
            _ => throw AgentException.Invalid("medium", $"unknown volume medium {request.Medium}"),
        };
        return Task.FromResult(new PrepareVolumeResponse { GuestPath = sandbox.Volumes.Prepare(request.Name, medium, request.SizeBytes) });
    }

    // ---- pod network

    public override Task<UpdateInterfaceResponse> UpdateInterface(UpdateInterfaceRequest request, ServerCallContext context) =>
        Task.FromResult(new UpdateInterfaceResponse { Name = network.UpdateInterface(NetworkTranslation.ToDomain(request.Interface)) });

    public override Task<UpdateRoutesResponse> UpdateRoutes(UpdateRoutesRequest request, ServerCallContext context)
    {
        network.UpdateRoutes(NetworkTranslation.ToDomain(request));
        return Task.FromResult(new UpdateRoutesResponse());
    }

    public override Task<AddNeighborsResponse> AddNeighbors(AddNeighborsRequest request, ServerCallContext context)
    {
        network.AddNeighbours(NetworkTranslation.ToDomain(request));
        return Task.FromResult(new AddNeighborsResponse());
    }

    // ---- containers

    public override async Task<CreateContainerResponse> CreateContainer(CreateContainerRequest request, ServerCallContext context)
    {
        int pid = await engine.CreateAsync(request.ContainerId, request.OciSpecJson.Memory, ToDomain(request.Rootfs), ToDomain(request.Io), context.CancellationToken,
            ToDomain(request.JoinNamespaces), ToDomain(request.BlockVolumes));
        return new CreateContainerResponse { Pid = (uint)pid };
    }

    public override async Task<StartContainerResponse> StartContainer(StartContainerRequest request, ServerCallContext context)
    {
        await engine.StartAsync(request.ContainerId, context.CancellationToken);
        return new StartContainerResponse();
    }

    public override async Task<RemoveContainerResponse> RemoveContainer(RemoveContainerRequest request, ServerCallContext context)
    {
        await engine.RemoveAsync(request.ContainerId, context.CancellationToken);
        return new RemoveContainerResponse();
    }

    public override async Task<UpdateContainerResponse> UpdateContainer(UpdateContainerRequest request, ServerCallContext context)
    {
        await engine.UpdateAsync(request.ContainerId, request.ResourcesJson.Memory, context.CancellationToken);
        return new UpdateContainerResponse();
    }

    public override Task<ContainerStats> StatsContainer(StatsContainerRequest request, ServerCallContext context) =>
        Task.FromResult(ToProtocol(engine.Stats(request.ContainerId)));

    public override async Task<PauseContainerResponse> PauseContainer(PauseContainerRequest request, ServerCallContext context)
    {
        await engine.SetPausedAsync(request.ContainerId, true, context.CancellationToken);
        return new PauseContainerResponse();
    }

    public override async Task<ResumeContainerResponse> ResumeContainer(ResumeContainerRequest request, ServerCallContext context)
    {
        await engine.SetPausedAsync(request.ContainerId, false, context.CancellationToken);
        return new ResumeContainerResponse();
    }

    public override Task<ListContainersResponse> ListContainers(ListContainersRequest request, ServerCallContext context)
    {
        var response = new ListContainersResponse();
        foreach (Container c in engine.List())
        {
            var info = new ContainerInfo { ContainerId = c.Id, State = ToProtocol(c.State), Pid = (uint)c.Init.Pid };
            foreach (ContainerProcess p in c.Execs)
            {
                info.Processes.Add(new ProcessInfo
                {
                    ExecId = p.ExecId, State = ToProtocol(p.State), Pid = (uint)p.Pid, ExitCode = p.ExitIfStopped?.ExitCode ?? 0,
                });
            }
            response.Containers.Add(info);
        }
        return Task.FromResult(response);
    }

    // ---- processes

    public override async Task<ExecProcessResponse> ExecProcess(ExecProcessRequest request, ServerCallContext context)
    {
        int pid = await engine.ExecAsync(request.ContainerId, request.ExecId, request.ProcessJson.Memory, ToDomain(request.Io), context.CancellationToken);
        return new ExecProcessResponse { Pid = (uint)pid };
    }

    public override Task<SignalProcessResponse> SignalProcess(SignalProcessRequest request, ServerCallContext context)
    {
        ProcessRef process = Require(request.Process);
        engine.Signal(process.ContainerId, process.ExecId, (int)request.Signal, request.All);
        return Task.FromResult(new SignalProcessResponse());
    }

    public override async Task<WaitProcessResponse> WaitProcess(WaitProcessRequest request, ServerCallContext context)
    {
        ProcessRef process = Require(request.Process);
        return ToProtocol(await engine.WaitAsync(process.ContainerId, process.ExecId, context.CancellationToken));
    }

    public override Task<RemoveProcessResponse> RemoveProcess(RemoveProcessRequest request, ServerCallContext context)
    {
        ProcessRef process = Require(request.Process);
        engine.RemoveProcess(process.ContainerId, process.ExecId);
        return Task.FromResult(new RemoveProcessResponse());
    }

    // ---- stdio

    public override Task ReadStdout(ReadStreamRequest request, IServerStreamWriter<OutputChunk> responseStream, ServerCallContext context) =>
        StreamAsync(request, stdio => stdio.Stdout, "stdout", responseStream, context);

    public override Task ReadStderr(ReadStreamRequest request, IServerStreamWriter<OutputChunk> responseStream, ServerCallContext context) =>
        StreamAsync(request, stdio => stdio.Stderr, "stderr", responseStream, context);

    private async Task StreamAsync(ReadStreamRequest request, Func<ProcessStdio, OutputBuffer?> select, string name,
        IServerStreamWriter<OutputChunk> responseStream, ServerCallContext context)
    {
        ProcessRef process = Require(request.Process);
        ProcessStdio stdio = engine.GetProcess(process.ContainerId, process.ExecId).Stdio;
        OutputBuffer output = select(stdio) ?? throw AgentException.FailedPrecondition(
            stdio.IsTerminal && name == "stderr" ? "the process has a terminal: its stderr is part of the stdout stream" : $"{name} was not requested (ProcessIo.{name})");
        await foreach (byte[] chunk in output.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new OutputChunk { Data = UnsafeByteOperations.UnsafeWrap(chunk) }, context.CancellationToken);
        }
    }

    public override async Task<WriteStdinResponse> WriteStdin(IAsyncStreamReader<StdinChunk> requestStream, ServerCallContext context)
    {
        ProcessStdio? stdio = null;
        ulong written = 0;
        bool open = true;
        while (open && await requestStream.MoveNext(context.CancellationToken))
        {
            StdinChunk chunk = requestStream.Current;
            if (stdio is null)
            {
                ProcessRef process = chunk.Process ?? throw AgentException.Invalid("process", "the first StdinChunk must name the process");
                stdio = engine.GetProcess(process.ContainerId, process.ExecId).Stdio;
            }
            if (!chunk.Data.IsEmpty)
            {
                open = await stdio.WriteStdinAsync(chunk.Data.Memory, context.CancellationToken);
                if (open)
                {
                    written += (ulong)chunk.Data.Length;
                }
            }
            if (chunk.Close)
            {
                stdio.CloseStdin();
                open = false;
            }
        }
        return new WriteStdinResponse { BytesWritten = written };
    }

    public override Task<CloseStdinResponse> CloseStdin(CloseStdinRequest request, ServerCallContext context)
    {
        ProcessRef process = Require(request.Process);
        engine.GetProcess(process.ContainerId, process.ExecId).Stdio.CloseStdin();
        return Task.FromResult(new CloseStdinResponse());
    }

    public override Task<ResizeTtyResponse> ResizeTty(ResizeTtyRequest request, ServerCallContext context)
    {
        ProcessRef process = Require(request.Process);
        if (request.Rows is 0 or > ushort.MaxValue || request.Columns is 0 or > ushort.MaxValue)
        {
            throw AgentException.Invalid("rows", $"{request.Rows}x{request.Columns} is not a terminal size (1-65535 each)");
        }
        engine.GetProcess(process.ContainerId, process.ExecId).Stdio.Resize(new TerminalSize((ushort)request.Rows, (ushort)request.Columns));
        return Task.FromResult(new ResizeTtyResponse());
    }

    // ---- events

    public override async Task OomEvents(OomEventsRequest request, IServerStreamWriter<OomEvent> responseStream, ServerCallContext context)
    {
        await foreach (var notice in engine.Oom.SubscribeAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(ToProtocol(notice), context.CancellationToken);
        }
    }

    private static ProcessRef Require(ProcessRef? process) =>
        process ?? throw AgentException.Invalid("process", "is required (container_id and exec_id)");
}
