using Grpc.Core;
using KataSharp.CriProbe.Cli;
using KataSharp.CriProbe.Connection;
using KataSharp.CriProbe.Cri;
using KataSharp.CriProbe.Verbs;

namespace KataSharp.CriProbe;

/// <summary>
/// katasharp-criprobe: drives a CRI server (containerd's CRI plugin) the way the kubelet would, one
/// RPC per run, printing plain lines. Errors print one line on stderr and exit 125.
/// </summary>
internal static class Program
{
    private const int ProbeError = 125;

    private static readonly Dictionary<string, Func<CriSession, ProbeArguments, Task<int>>> Verbs = new(StringComparer.Ordinal)
    {
        ["version"] = InfoVerbs.VersionAsync,
        ["image-status"] = InfoVerbs.ImageStatusAsync,
        ["runp"] = SandboxVerbs.RunAsync,
        ["podstatus"] = SandboxVerbs.StatusAsync,
        ["stopp"] = SandboxVerbs.StopAsync,
        ["rmp"] = SandboxVerbs.RemoveAsync,
        ["pods"] = SandboxVerbs.ListAsync,
        ["create"] = ContainerVerbs.CreateAsync,
        ["start"] = ContainerVerbs.StartAsync,
        ["stop"] = ContainerVerbs.StopAsync,
        ["rm"] = ContainerVerbs.RemoveAsync,
        ["status"] = ContainerVerbs.StatusAsync,
        ["exec-sync"] = ContainerVerbs.ExecSyncAsync,
        ["ps"] = ContainerVerbs.ListAsync,
        ["runtime-status"] = RuntimeVerbs.RuntimeStatusAsync,
        ["stats"] = RuntimeVerbs.StatsAsync,
        ["reopen-log"] = RuntimeVerbs.ReopenLogAsync,
        ["exec"] = StreamingVerbs.ExecAsync,
        ["attach"] = StreamingVerbs.AttachAsync,
        ["port-forward"] = StreamingVerbs.PortForwardAsync,
    };

    private static readonly string Usage =
        "usage: katasharp-criprobe [--socket PATH] [--call-timeout SECONDS] VERB [ARGS]\n" +
        "  version | image-status REF | pods | ps\n" +
        "  runtime-status                                         condition_TYPE=true|false (+ _reason/_message when false)\n" +
        "  runp [--handler NAME] POD-FLAGS                       prints the pod sandbox id\n" +
        "  podstatus ID | stopp ID | rmp ID\n" +
        "  create --pod ID POD-FLAGS CONTAINER-FLAGS -- CMD...    prints the container id\n" +
        "  start ID | stop [--timeout S] ID | rm ID | status ID\n" +
        "  exec-sync [--timeout S] ID -- CMD...                   exits with the command's exit code\n" +
        "  stats ID                                               cpu/memory/writable-layer usage (or unset)\n" +
        "  reopen-log ID                                          ReopenContainerLog (after a log rotation)\n" +
        "  exec [--stdin true] [--tty true] ID -- CMD...          streaming exec (WebSocket); exits with the command's exit code\n" +
        "  attach [--stdin true] [--tty true] [--for S] ID        the container's output until it exits (or S seconds: exit 0)\n" +
        "  port-forward [--for S] POD-ID PORT                     stdin to the pod's PORT, its answer to stdout; exit 1 on a forward error\n" +
        "    (stdin's end is not passed on: v4.channel.k8s.io has no half-close; a command fed stdin must end by itself, e.g. head -n1)\n" +
        PodConfigOptions.Help + "\n" + ContainerConfigOptions.Help + "\n" +
        "  defaults: --socket /run/containerd/containerd.sock, --call-timeout 600";

    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await RunAsync(args);
        }
        catch (ProbeException e)
        {
            Console.Error.WriteLine($"katasharp-criprobe: {e.Message}");
            return ProbeError;
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"katasharp-criprobe: {e.Status.StatusCode}: {e.Status.Detail}");
            return ProbeError;
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        string socket = "/run/containerd/containerd.sock";
        int callTimeout = 600;
        int i = 0;
        for (; i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal); i += 2)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ProbeException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--socket": socket = value; break;
                case "--call-timeout":
                    callTimeout = int.TryParse(value, out int seconds) && seconds > 0 ? seconds
                        : throw new ProbeException($"--call-timeout '{value}' is not a positive number of seconds");
                    break;
                default: throw new ProbeException($"unknown option {args[i]}\n{Usage}");
            }
        }
        if (i >= args.Length || !Verbs.TryGetValue(args[i], out var verb))
        {
            throw new ProbeException(i >= args.Length ? $"no verb\n{Usage}" : $"unknown verb '{args[i]}'\n{Usage}");
        }
        ProbeArguments verbArgs = ProbeArguments.Parse(args.Skip(i + 1));
        using var channel = CriChannel.Open(socket);
        var session = new CriSession(new RuntimeService.RuntimeServiceClient(channel), new ImageService.ImageServiceClient(channel), TimeSpan.FromSeconds(callTimeout));
        return await verb(session, verbArgs);
    }
}
