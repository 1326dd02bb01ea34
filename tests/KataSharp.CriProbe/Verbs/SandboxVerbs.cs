using KataSharp.CriProbe.Cli;
using KataSharp.CriProbe.Connection;
using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Verbs;

/// <summary>Pod sandbox verbs: runp, podstatus, stopp, rmp, pods.</summary>
internal static class SandboxVerbs
{
    /// <summary>RunPodSandbox with a runtime handler (a RuntimeClass's `handler`); prints the sandbox id.</summary>
    public static async Task<int> RunAsync(CriSession cri, ProbeArguments args)
    {
        PodSandboxConfig config = PodConfigOptions.Read(args);
        string handler = args.Optional("handler") ?? "";
        args.EnsureAllUsed();
        RunPodSandboxResponse r = await cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config, RuntimeHandler = handler }, cri.Call());
        Console.WriteLine(r.PodSandboxId);
        return 0;
    }

    public static async Task<int> StatusAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("pod sandbox id");
        args.EnsureAllUsed();
        PodSandboxStatusResponse r = await cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }, cri.Call());
        Console.WriteLine($"id={r.Status.Id}");
        Console.WriteLine($"state={CriNames.Of(r.Status.State)}");
        Console.WriteLine($"name={r.Status.Metadata?.Name}");
        Console.WriteLine($"runtime_handler={r.Status.RuntimeHandler}");
        Console.WriteLine($"ip={r.Status.Network?.Ip}");
        return 0;
    }

    public static async Task<int> StopAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("pod sandbox id");
        args.EnsureAllUsed();
        await cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, cri.Call());
        return 0;
    }

    public static async Task<int> RemoveAsync(CriSession cri, ProbeArguments args)
    {
        string id = args.Single("pod sandbox id");
        args.EnsureAllUsed();
        await cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, cri.Call());
        return 0;
    }

    /// <summary>One line per pod sandbox: id, state, name, runtime handler.</summary>
    public static async Task<int> ListAsync(CriSession cri, ProbeArguments args)
    {
        args.EnsureAllUsed();
        ListPodSandboxResponse r = await cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), cri.Call());
        foreach (PodSandbox pod in r.Items)
        {
            Console.WriteLine($"{pod.Id} {CriNames.Of(pod.State)} {pod.Metadata?.Name} {pod.RuntimeHandler}");
        }
        return 0;
    }
}
