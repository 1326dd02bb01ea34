using Google.Protobuf;
using KataSharp.CriProbe.Cli;
using KataSharp.CriProbe.Connection;
using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Verbs;

/// <summary>Container verbs: create, start, stop, rm, status, exec-sync, ps.</summary>
internal static class ContainerVerbs
{
    /// <summary>CreateContainer in a pod (the pod's flags again, as the kubelet resends its config); prints the container id.</summary>
    public static async Task<int> CreateAsync(CriSession cri, ProbeArguments args)
    {
        string pod = args.Required("pod");
        PodSandboxConfig podConfig = PodConfigOptions.Read(args);
        ContainerConfig config = ContainerConfigOptions.Read(args, podConfig);
        args.EnsureAllUsed();
        CreateContainerResponse r = await cri.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = pod, Config = config, SandboxConfig = podConfig }, cri.Call());
        Console.WriteLine(r.ContainerId);
        return 0;
    }

    public static async Task<int> StartAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        args.EnsureAllUsed();
        await cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cri.Call());
        return 0;
    }

    /// <summary>StopContainer: the stop signal, then SIGKILL after --timeout seconds (default 10).</summary>
    public static async Task<int> StopAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        long timeout = args.Number("timeout", 10);
        args.EnsureAllUsed();
        await cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = timeout }, cri.Call());
        return 0;
    }

    public static async Task<int> RemoveAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        args.EnsureAllUsed();
        await cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, cri.Call());
        return 0;
    }

    public static async Task<int> StatusAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        args.EnsureAllUsed();
        ContainerStatusResponse r = await cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id }, cri.Call());
        ContainerStatus s = r.Status;
        Console.WriteLine($"id={s.Id}");
        Console.WriteLine($"name={s.Metadata?.Name}");
        Console.WriteLine($"state={CriNames.Of(s.State)}");
        Console.WriteLine($"started={(s.StartedAt > 0 ? 1 : 0)}");
        Console.WriteLine($"finished={(s.FinishedAt > 0 ? 1 : 0)}");
        Console.WriteLine($"exit_code={s.ExitCode}");
        Console.WriteLine($"reason={s.Reason}");
        Console.WriteLine($"message={s.Message.ReplaceLineEndings(" ")}");
        Console.WriteLine($"log_path={s.LogPath}");
        return 0;
    }

    /// <summary>
    /// ExecSync: the command's stdout goes to stdout and its stderr to stderr, and the probe exits
    /// with the command's exit code (125 stays reserved for the probe's own errors).
    /// </summary>
    public static async Task<int> ExecSyncAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("container id");
        long timeout = args.Number("timeout", 0);
        args.EnsureAllUsed();
        if (args.Command.Count == 0)
        {
            throw new ProbeException("exec-sync needs a command after --");
        }
        var request = new ExecSyncRequest { ContainerId = id, Timeout = timeout };
        request.Cmd.Add(args.Command);
        ExecSyncResponse r = await cri.Runtime.ExecSyncAsync(request, cri.Call());
        await Write(Console.OpenStandardOutput(), r.Stdout);
        await Write(Console.OpenStandardError(), r.Stderr);
        return r.ExitCode;
    }

    /// <summary>One line per container: id, pod sandbox id, state, name.</summary>
    public static async Task<int> ListAsync(CriSession cri, ProbeArguments args)
    {
        args.EnsureAllUsed();
        ListContainersResponse r = await cri.Runtime.ListContainersAsync(new ListContainersRequest(), cri.Call());
        foreach (Container c in r.Containers)
        {
            Console.WriteLine($"{c.Id} {c.PodSandboxId} {CriNames.Of(c.State)} {c.Metadata?.Name}");
        }
        return 0;
    }

    private static async Task Write(Stream stream, ByteString bytes)
    {
        await using (stream)
        {
            await stream.WriteAsync(bytes.Memory);
            await stream.FlushAsync();
        }
    }
}
