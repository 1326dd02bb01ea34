using KataSharp.Agent.Protocol;

namespace KataSharp.AgentCtl.Scenarios;

/// <summary>
/// The end-to-end checks against an agent inside a VM (issue 5): a busybox container from an erofs
/// layer prints to stdout, reads stdin, exits 3, is SIGKILLed (137), takes 50 sequential execs, and
/// sees the guest kernel. Prints key=value lines for the host-side test.
/// </summary>
public static class VmCheck
{
    public static async Task RunAsync(AgentService.AgentServiceClient agent, RootFilesystem rootfs, TextWriter output, CancellationToken ct)
    {
        GuestDetails details = await agent.GetGuestDetailsAsync(new GetGuestDetailsRequest(), cancellationToken: ct);
        output.WriteLine($"kernel_release={details.KernelRelease}");
        output.WriteLine($"agent_version={details.AgentVersion}");
        output.WriteLine($"agent_ready_ms={details.AgentReadyBoottimeMs}");
        output.WriteLine($"controllers={string.Join(',', details.CgroupControllers)}");
        await agent.CreateSandboxAsync(new CreateSandboxRequest { SandboxId = "vm-check", Hostname = "vm-check" }, cancellationToken: ct);

        RunResult hello = await ContainerRun.RunAsync(agent, "hello", OciSpecs.Create("echo", "hello from the guest"), rootfs, ct: ct);
        output.WriteLine($"hello_stdout={hello.Stdout.Trim()}");
        output.WriteLine($"hello_exit={hello.ExitCode}");
        output.WriteLine($"hello_first_byte_ms={hello.FirstByte.TotalMilliseconds:F1}");

        RunResult cat = await ContainerRun.RunAsync(agent, "stdin", OciSpecs.Create("sh", "-c", "read line; echo got:$line"), rootfs, stdin: "ping\n", ct: ct);
        output.WriteLine($"stdin_stdout={cat.Stdout.Trim()}");

        RunResult three = await ContainerRun.RunAsync(agent, "three", OciSpecs.Create("sh", "-c", "exit 3"), rootfs, ct: ct);
        output.WriteLine($"exit3_code={three.ExitCode}");

        RunResult uname = await ContainerRun.RunAsync(agent, "uname", OciSpecs.Create("uname", "-r"), rootfs, ct: ct);
        output.WriteLine($"container_uname={uname.Stdout.Trim()}");

        await agent.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = "sleeper", OciSpecJson = Google.Protobuf.ByteString.CopyFromUtf8(OciSpecs.Create("sleep", "1000").ToJsonString()), Rootfs = rootfs,
        }, cancellationToken: ct);
        await agent.StartContainerAsync(new StartContainerRequest { ContainerId = "sleeper" }, cancellationToken: ct);
        int execOk = 0;
        for (int i = 0; i < 50; i++)
        {
            RunResult exec = await ContainerRun.ExecAsync(agent, "sleeper", $"e{i}", OciSpecs.Process("echo", $"exec-{i}"), ct);
            execOk += exec.ExitCode == 0 && exec.Stdout == $"exec-{i}\n" ? 1 : 0;
        }
        output.WriteLine($"execs_ok={execOk}");
        var init = new ProcessRef { ContainerId = "sleeper" };
        await agent.SignalProcessAsync(new SignalProcessRequest { Process = init, Signal = 9 }, cancellationToken: ct);
        WaitProcessResponse killed = await agent.WaitProcessAsync(new WaitProcessRequest { Process = init }, cancellationToken: ct);
        output.WriteLine($"sigkill_code={killed.ExitCode}");
        await agent.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = "sleeper" }, cancellationToken: ct);
    }
}
