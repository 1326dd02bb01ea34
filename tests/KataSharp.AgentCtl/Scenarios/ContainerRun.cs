using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using KataSharp.Agent.Protocol;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>The outcome of running one process through the agent API.</summary>
public sealed record RunResult(int ExitCode, string Stdout, string Stderr, TimeSpan FirstByte, TimeSpan Total);

/// <summary>Create/start/exec helpers over the real gRPC API, streaming stdio the way the shim will.</summary>
public static class ContainerRun
{
    public static RootFilesystem Directory(string path) => new() { Layers = { new Layer { GuestDirectory = path } } };

    public static RootFilesystem BlockLayer(string serial) => new() { Layers = { new Layer { BlockSerial = serial, Fstype = "erofs" } } };

    /// <summary>Create + start + read stdout/stderr + wait + remove. <paramref name="stdin"/> (if any) is written then closed.</summary>
    public static async Task<RunResult> RunAsync(AgentService.AgentServiceClient agent, string id, JsonObject spec, RootFilesystem rootfs,
        string? stdin = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        await agent.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = id,
            OciSpecJson = ByteString.CopyFromUtf8(spec.ToJsonString()),
            Rootfs = rootfs,
            Io = new ProcessIo { Stdin = stdin is not null, Stdout = true, Stderr = true },
        }, cancellationToken: ct);
        var process = new ProcessRef { ContainerId = id };
        var firstByte = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<string> stdout = ReadAsync(agent.ReadStdout(new ReadStreamRequest { Process = process }, cancellationToken: ct), clock, firstByte, ct);
        Task<string> stderr = ReadAsync(agent.ReadStderr(new ReadStreamRequest { Process = process }, cancellationToken: ct), clock, null, ct);
        await agent.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: ct);
        if (stdin is not null)
        {
            await WriteStdinAsync(agent, process, stdin, ct);
        }
        WaitProcessResponse exit = await agent.WaitProcessAsync(new WaitProcessRequest { Process = process }, cancellationToken: ct);
        string outText = await stdout, errText = await stderr;
        TimeSpan total = clock.Elapsed;
        await agent.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, cancellationToken: ct);
        firstByte.TrySetResult(TimeSpan.Zero);
        return new RunResult(exit.ExitCode, outText, errText, await firstByte.Task, total);
    }

    /// <summary>Exec + read stdout + wait + forget; the first-byte time is measured from the ExecProcess call.</summary>
    public static async Task<RunResult> ExecAsync(AgentService.AgentServiceClient agent, string id, string execId, JsonObject process, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        await agent.ExecProcessAsync(new ExecProcessRequest
        {
            ContainerId = id, ExecId = execId,
            ProcessJson = ByteString.CopyFromUtf8(process.ToJsonString()),
            Io = new ProcessIo { Stdout = true },
        }, cancellationToken: ct);
        var reference = new ProcessRef { ContainerId = id, ExecId = execId };
        var firstByte = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        string stdout = await ReadAsync(agent.ReadStdout(new ReadStreamRequest { Process = reference }, cancellationToken: ct), clock, firstByte, ct);
        WaitProcessResponse exit = await agent.WaitProcessAsync(new WaitProcessRequest { Process = reference }, cancellationToken: ct);
        await agent.RemoveProcessAsync(new RemoveProcessRequest { Process = reference }, cancellationToken: ct);
        firstByte.TrySetResult(TimeSpan.Zero);
        return new RunResult(exit.ExitCode, stdout, "", await firstByte.Task, clock.Elapsed);
    }

    public static async Task WriteStdinAsync(AgentService.AgentServiceClient agent, ProcessRef process, string text, CancellationToken ct)
    {
        using AsyncClientStreamingCall<StdinChunk, WriteStdinResponse> call = agent.WriteStdin(cancellationToken: ct);
        await call.RequestStream.WriteAsync(new StdinChunk { Process = process, Data = ByteString.CopyFromUtf8(text), Close = true }, ct);
        await call.RequestStream.CompleteAsync();
        await call;
    }

    private static async Task<string> ReadAsync(AsyncServerStreamingCall<OutputChunk> call, Stopwatch clock, TaskCompletionSource<TimeSpan>? firstByte, CancellationToken ct)
    {
        using (call)
        {
            var text = new StringBuilder();
            await foreach (OutputChunk chunk in call.ResponseStream.ReadAllAsync(ct))
            {
                firstByte?.TrySetResult(clock.Elapsed);
                text.Append(chunk.Data.ToStringUtf8());
            }
            return text.ToString();
        }
    }
}
