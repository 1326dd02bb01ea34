using System.CommandLine;
using System.Net.Sockets;
using KataSharp.Runtime.Model;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Telemetry;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp metrics SANDBOX-ID`: the sandbox's metrics in the Prometheus text format, as its shim serves them on
/// &lt;state dir&gt;/metrics.sock.</summary>
public static class MetricsCommand
{
    /// <summary>Long enough for a shim that asks its VMM and agent (2 s each) under load.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var id = new Argument<string>("sandbox-id") { Description = "the sandbox (pod) id, as `crictl pods --no-trunc` or `ctr task ls` show it" };
        var command = new Command("metrics", "print a sandbox's metrics (VMM and device counters, shim and VMM processes, guest containers) in Prometheus text format")
        {
            id,
        };
        command.SetAction(result => Run(SandboxStateStore.FromEnvironment(), result.GetValue(id)!, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(SandboxStateStore store, string sandboxId, TextWriter output, TextWriter error)
    {
        string socket;
        try
        {
            socket = SandboxMetricsSocket.For(store, sandboxId);
        }
        catch (RuntimeException e)
        {
            error.WriteLine($"katasharp metrics: {e.Message}");
            return 1;
        }
        string? directory = Path.GetDirectoryName(socket);
        if (directory is null || !Directory.Exists(directory))
        {
            error.WriteLine($"katasharp metrics: no sandbox '{sandboxId}' in {store.Root}: is it running? (`crictl pods --no-trunc` lists the pods; " +
                $"{SandboxStateStore.RootVariable} names another state directory)");
            return 1;
        }
        if (!File.Exists(socket))
        {
            error.WriteLine($"katasharp metrics: sandbox '{sandboxId}' has no metrics socket ({socket}): its shim is gone or older than metrics; restart the pod");
            return 1;
        }
        try
        {
            output.Write(MetricsHttpClient.GetAsync(new UnixDomainSocketEndPoint(socket), Timeout).GetAwaiter().GetResult());
            return 0;
        }
        catch (IOException e)
        {
            error.WriteLine($"katasharp metrics: the shim of sandbox '{sandboxId}' does not answer on {socket}: {e.Message} " +
                "(is its containerd-shim-katasharp-v2 running? `ps -C containerd-shim-katasharp-v2 -f`; run as root)");
            return 1;
        }
    }
}
