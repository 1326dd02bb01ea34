using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Ttrpc;

namespace KataSharp.Runtime.Tasks;

/// <summary>
/// containerd's shim v2 Task service ("containerd.task.v2.Task") over ttrpc: each RPC is one line
/// of translate → supervisor → translate. Errors are mapped by <see cref="RuntimeErrorStatus"/>.
/// </summary>
public sealed class TaskService
{
    public const string ServiceName = "containerd.task.v2.Task";

    private readonly TaskSupervisor _tasks;
    private readonly Action _exitRequested;

    /// <param name="exitRequested">Called after a Shutdown that leaves no container: the shim should exit.</param>
    public TaskService(TaskSupervisor tasks, Action exitRequested)
    {
        _tasks = tasks;
        _exitRequested = exitRequested;
    }

    public void Register(TtrpcServiceRegistry registry)
    {
        registry.Add(ServiceName, "Create", CreateTaskRequest.Parser, Create);
        registry.Add(ServiceName, "Start", StartRequest.Parser, Start);
        registry.Add(ServiceName, "Delete", DeleteRequest.Parser, Delete);
        registry.Add(ServiceName, "Exec", ExecProcessRequest.Parser, Exec);
        registry.Add(ServiceName, "ResizePty", ResizePtyRequest.Parser, ResizePty);
        registry.Add(ServiceName, "State", StateRequest.Parser, State);
        registry.Add(ServiceName, "Kill", KillRequest.Parser, Kill);
        registry.Add(ServiceName, "CloseIO", CloseIORequest.Parser, CloseIo);
        registry.Add(ServiceName, "Pids", PidsRequest.Parser, Pids);
        registry.Add(ServiceName, "Pause", PauseRequest.Parser, Pause);
        registry.Add(ServiceName, "Resume", ResumeRequest.Parser, Resume);
        registry.Add(ServiceName, "Checkpoint", CheckpointTaskRequest.Parser, Checkpoint);
        registry.Add(ServiceName, "Update", UpdateTaskRequest.Parser, Update);
        registry.Add(ServiceName, "Wait", WaitRequest.Parser, Wait);
        registry.Add(ServiceName, "Stats", StatsRequest.Parser, Stats);
        registry.Add(ServiceName, "Connect", ConnectRequest.Parser, Connect);
        registry.Add(ServiceName, "Shutdown", ShutdownRequest.Parser, Shutdown);
    }

    private async Task<CreateTaskResponse> Create(CreateTaskRequest r, TtrpcCallContext c) =>
        new() { Pid = await _tasks.CreateAsync(TaskTranslation.ToCommand(r), c.CancellationToken) };

    private async Task<StartResponse> Start(StartRequest r, TtrpcCallContext c) =>
        new() { Pid = await _tasks.StartAsync(ProcessKey.From(r.Id, r.ExecId), c.CancellationToken) };

    private async Task<DeleteResponse> Delete(DeleteRequest r, TtrpcCallContext c)
    {
        var (pid, exit) = await _tasks.DeleteAsync(ProcessKey.From(r.Id, r.ExecId), c.CancellationToken);
        return TaskTranslation.ToDeleteResponse(pid, exit);
    }

    private async Task<Empty> Exec(ExecProcessRequest r, TtrpcCallContext c)
    {
        await _tasks.ExecAsync(TaskTranslation.ToCommand(r), c.CancellationToken);
        return new Empty();
    }

    private async Task<Empty> ResizePty(ResizePtyRequest r, TtrpcCallContext c)
    {
        await _tasks.ResizePtyAsync(ProcessKey.From(r.Id, r.ExecId), r.Width, r.Height, c.CancellationToken);
        return new Empty();
    }

    private Task<StateResponse> State(StateRequest r, TtrpcCallContext c) =>
        Task.FromResult(TaskTranslation.ToResponse(_tasks.State(ProcessKey.From(r.Id, r.ExecId))));

    private async Task<Empty> Kill(KillRequest r, TtrpcCallContext c)
    {
        await _tasks.KillAsync(ProcessKey.From(r.Id, r.ExecId), (int)r.Signal, r.All, c.CancellationToken);
        return new Empty();
    }

    private async Task<Empty> CloseIo(CloseIORequest r, TtrpcCallContext c)
    {
        if (r.Stdin)
        {
            await _tasks.CloseIoAsync(ProcessKey.From(r.Id, r.ExecId), c.CancellationToken);
        }
        return new Empty();
    }

    private async Task<PidsResponse> Pids(PidsRequest r, TtrpcCallContext c) =>
        TaskTranslation.ToPidsResponse(await _tasks.PidsAsync(r.Id, c.CancellationToken));

    private async Task<Empty> Pause(PauseRequest r, TtrpcCallContext c)
    {
        await _tasks.PauseAsync(r.Id, c.CancellationToken);
        return new Empty();
    }

    private async Task<Empty> Resume(ResumeRequest r, TtrpcCallContext c)
    {
        await _tasks.ResumeAsync(r.Id, c.CancellationToken);
        return new Empty();
    }

    private Task<Empty> Checkpoint(CheckpointTaskRequest r, TtrpcCallContext c) =>
        throw new RuntimeException(RuntimeError.NotImplemented,
            $"checkpoint of {r.Id}: not supported by katasharp (the container's state lives in a VM, which CRIU cannot checkpoint)");

    private async Task<Empty> Update(UpdateTaskRequest r, TtrpcCallContext c)
    {
        await _tasks.UpdateAsync(r.Id, TaskTranslation.ResourcesJson(r), c.CancellationToken);
        return new Empty();
    }

    private async Task<WaitResponse> Wait(WaitRequest r, TtrpcCallContext c) =>
        TaskTranslation.ToWaitResponse(await _tasks.WaitAsync(ProcessKey.From(r.Id, r.ExecId), c.CancellationToken));

    private async Task<StatsResponse> Stats(StatsRequest r, TtrpcCallContext c) =>
        TaskTranslation.ToStatsResponse(await _tasks.StatsAsync(r.Id, c.CancellationToken));

    private Task<ConnectResponse> Connect(ConnectRequest r, TtrpcCallContext c) =>
        Task.FromResult(new ConnectResponse { ShimPid = (uint)Environment.ProcessId, TaskPid = _tasks.Pid, Version = "katasharp" });

    private async Task<Empty> Shutdown(ShutdownRequest r, TtrpcCallContext c)
    {
        if (await _tasks.ShutdownAsync(c.CancellationToken))
        {
            _exitRequested();
        }
        return new Empty();
    }
}
