using KataSharp.Agent.Protocol;
using KataSharp.AgentCtl.Connection;
using KataSharp.AgentCtl.Scenarios;

namespace KataSharp.AgentCtl;

internal static class Program
{
    private const string Usage =
        "katasharp-agentctl --agent unix:<path>|hvsock:<path>:<port> [--rootfs-dir DIR | --layer-serial SERIAL] [--timeout S] <command>\n" +
        "  health | details | cgroup-check | vm-check | isolation-check PROBE | bench [--execs N] | poweroff\n" +
        "katasharp-agentctl make-rootfs DIR      (busybox tree from /bin/busybox)";

    public static async Task<int> Main(string[] args)
    {
        try
        {
            return await RunAsync(args);
        }
        catch (Exception e) when (e is ArgumentException or IOException or Grpc.Core.RpcException or InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"katasharp-agentctl: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        string? address = null, rootfsDir = null, serial = null, command = null, target = null;
        int execs = 100, timeout = 600;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--agent": address = Value(); break;
                case "--rootfs-dir": rootfsDir = Value(); break;
                case "--layer-serial": serial = Value(); break;
                case "--execs": execs = int.Parse(Value()); break;
                case "--timeout": timeout = int.Parse(Value()); break;
                default:
                    if (command is null) { command = args[i]; }
                    else { target = args[i]; }
                    break;
            }
        }
        if (command == "make-rootfs")
        {
            BusyboxTree.Make(target ?? throw new ArgumentException(Usage));
            return 0;
        }
        if (address is null || command is null)
        {
            throw new ArgumentException(Usage);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeout));
        using var channel = AgentConnector.Open(address);
        var agent = new AgentService.AgentServiceClient(channel);
        RootFilesystem Rootfs() => serial is not null ? ContainerRun.BlockLayer(serial)
            : rootfsDir is not null ? ContainerRun.Directory(rootfsDir) : throw new ArgumentException($"{command} needs --rootfs-dir or --layer-serial");
        switch (command)
        {
            case "health":
                var health = new Health.HealthClient(channel);
                HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(timeout), cancellationToken: cts.Token);
                Console.WriteLine($"status={response.Status}");
                return response.Status == HealthCheckResponse.Types.Status.Serving ? 0 : 1;
            case "details":
                Console.WriteLine(await agent.GetGuestDetailsAsync(new GetGuestDetailsRequest(), cancellationToken: cts.Token));
                return 0;
            case "cgroup-check":
                await CgroupCheck.RunAsync(agent, Rootfs(), Console.Out, cts.Token);
                return 0;
            case "vm-check":
                await VmCheck.RunAsync(agent, Rootfs(), Console.Out, cts.Token);
                return 0;
            case "isolation-check":
                await IsolationCheck.RunAsync(agent, Rootfs(), target ?? throw new ArgumentException($"isolation-check needs the probe's path\n{Usage}"), Console.Out, cts.Token);
                return 0;
            case "bench":
                await Bench.RunAsync(agent, Rootfs(), execs, Console.Out, cts.Token);
                return 0;
            case "poweroff":
                await agent.DestroySandboxAsync(new DestroySandboxRequest { PowerOff = true }, cancellationToken: cts.Token);
                return 0;
            default:
                throw new ArgumentException($"unknown command '{command}'\n{Usage}");
        }
    }
}
