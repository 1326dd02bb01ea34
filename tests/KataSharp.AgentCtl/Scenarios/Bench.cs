using System.Diagnostics;
using KataSharp.Agent.Protocol;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>
/// Agent latency numbers: create+start → first stdout byte, exec → first stdout byte (p50/p99 over
/// <c>execs</c> runs), and the agent's RSS. Prints key=value lines.
/// </summary>
public static class Bench
{
    public static async Task RunAsync(AgentService.AgentServiceClient agent, RootFilesystem rootfs, int execs, TextWriter output, CancellationToken ct)
    {
        var create = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            RunResult run = await ContainerRun.RunAsync(agent, $"bench{i}", OciSpecs.Create("echo", "x"), rootfs, ct: ct);
            create.Add(run.FirstByte.TotalMilliseconds);
        }
        output.WriteLine($"create_start_first_byte_ms_median={Percentile(create, 50):F2}");
        output.WriteLine($"create_start_first_byte_ms_all={string.Join(',', create.Select(v => v.ToString("F2")))}");

        await agent.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = "bench-exec", OciSpecJson = Google.Protobuf.ByteString.CopyFromUtf8(OciSpecs.Create("sleep", "1000").ToJsonString()), Rootfs = rootfs,
        }, cancellationToken: ct);
        await agent.StartContainerAsync(new StartContainerRequest { ContainerId = "bench-exec" }, cancellationToken: ct);
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < execs; i++)
        {
            RunResult exec = await ContainerRun.ExecAsync(agent, "bench-exec", $"x{i}", OciSpecs.Process("echo", "x"), ct);
            if (exec.ExitCode != 0)
            {
                throw new InvalidOperationException($"exec {i} exited {exec.ExitCode}");
            }
            latencies.Add(exec.FirstByte.TotalMilliseconds);
        }
        output.WriteLine($"exec_first_byte_ms_p50={Percentile(latencies, 50):F2}");
        output.WriteLine($"exec_first_byte_ms_p99={Percentile(latencies, 99):F2}");
        output.WriteLine($"exec_count={execs}");
        output.WriteLine($"exec_total_s={clock.Elapsed.TotalSeconds:F2}");
        await agent.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = "bench-exec" }, cancellationToken: ct);
        GuestDetails details = await agent.GetGuestDetailsAsync(new GetGuestDetailsRequest(), cancellationToken: ct);
        output.WriteLine($"agent_rss_bytes={details.AgentRssBytes}");
        output.WriteLine($"agent_ready_ms={details.AgentReadyBoottimeMs}");
    }

    public static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.OrderBy(v => v).ToList();
        int index = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}
