using Grpc.Core;
using KataSharp.Agent.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>
/// A guest agent for the real VM backend: Kestrel gRPC (HTTP/2) on a unix socket. Requests succeed at
/// once; a process's wait and its output streams never end on their own, as with a process that runs
/// until the VM dies; <see cref="HangRequests"/> makes every request hang, as in a wedged guest.
/// </summary>
public sealed class FakeAgentServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeAgentServer(WebApplication app, string socketPath, FakeAgentService service)
    {
        _app = app;
        SocketPath = socketPath;
        Service = service;
    }

    public string SocketPath { get; }

    public FakeAgentService Service { get; }

    public static async Task<FakeAgentServer> StartAsync(string socketPath)
    {
        var service = new FakeAgentService();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath, o => o.Protocols = HttpProtocols.Http2));
        WebApplication app = builder.Build();
        app.MapGrpcService<FakeAgentService>();
        app.MapGrpcService<FakeHealthService>();
        await app.StartAsync();
        return new FakeAgentServer(app, socketPath, service);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        File.Delete(SocketPath);
    }
}

public sealed class FakeAgentService : AgentService.AgentServiceBase
{
    private readonly TaskCompletionSource _waitStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every unary request (but Health) waits until the call is cancelled.</summary>
    public bool HangRequests { get; set; }

    /// <summary>Completes when a WaitProcess call has reached the agent.</summary>
    public Task WaitStarted => _waitStarted.Task;

    /// <summary>UpdateInterface answers INVALID_ARGUMENT (as the agent does for a bad field).</summary>
    public bool FailUpdateInterface { get; set; }

    /// <summary>The pod-network requests received, in order.</summary>
    public List<Google.Protobuf.IMessage> NetworkRequests { get; } = [];

    public override Task<UpdateInterfaceResponse> UpdateInterface(UpdateInterfaceRequest request, ServerCallContext context)
    {
        Record(request);
        if (FailUpdateInterface)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "interface.hw_addr: no guest interface has this MAC (fake)"));
        }
        return Answer(new UpdateInterfaceResponse { Name = request.Interface.Name }, context);
    }

    public override Task<UpdateRoutesResponse> UpdateRoutes(UpdateRoutesRequest request, ServerCallContext context)
    {
        Record(request);
        return Answer(new UpdateRoutesResponse(), context);
    }

    public override Task<AddNeighborsResponse> AddNeighbors(AddNeighborsRequest request, ServerCallContext context)
    {
        Record(request);
        return Answer(new AddNeighborsResponse(), context);
    }

    private void Record(Google.Protobuf.IMessage request)
    {
        lock (NetworkRequests)
        {
            NetworkRequests.Add(request);
        }
    }

    public override Task<CreateSandboxResponse> CreateSandbox(CreateSandboxRequest request, ServerCallContext context) =>
        Answer(new CreateSandboxResponse(), context);

    /// <summary>CreateContainer answers INVALID_ARGUMENT (as the agent does for a bad spec).</summary>
    public bool FailCreateContainer { get; set; }

    /// <summary>The CreateContainer requests received, in order.</summary>
    public List<CreateContainerRequest> CreateRequests { get; } = [];

    public override Task<CreateContainerResponse> CreateContainer(CreateContainerRequest request, ServerCallContext context)
    {
        lock (CreateRequests)
        {
            CreateRequests.Add(request);
        }
        if (FailCreateContainer)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "mounts[0].destination: bad (fake)"));
        }
        return Answer(new CreateContainerResponse(), context);
    }

    public override Task<RemoveContainerResponse> RemoveContainer(RemoveContainerRequest request, ServerCallContext context) =>
        Answer(new RemoveContainerResponse(), context);

    public override Task<StartContainerResponse> StartContainer(StartContainerRequest request, ServerCallContext context) =>
        Answer(new StartContainerResponse(), context);

    public override Task<PauseContainerResponse> PauseContainer(PauseContainerRequest request, ServerCallContext context) =>
        Answer(new PauseContainerResponse(), context);

    public override async Task<WaitProcessResponse> WaitProcess(WaitProcessRequest request, ServerCallContext context)
    {
        _waitStarted.TrySetResult();
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return new WaitProcessResponse();
    }

    public override async Task ReadStdout(ReadStreamRequest request, IServerStreamWriter<OutputChunk> responseStream, ServerCallContext context) =>
        await Task.Delay(Timeout.Infinite, context.CancellationToken);

    public override async Task OomEvents(OomEventsRequest request, IServerStreamWriter<OomEvent> responseStream, ServerCallContext context) =>
        await Task.Delay(Timeout.Infinite, context.CancellationToken);

    private async Task<T> Answer<T>(T reply, ServerCallContext context)
    {
        if (HangRequests)
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        return reply;
    }
}

public sealed class FakeHealthService : Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.Status.Serving });
}
