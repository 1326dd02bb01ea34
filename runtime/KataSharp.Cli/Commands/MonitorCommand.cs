using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Telemetry;

namespace KataSharp.Cli.Commands;

/// <summary>
/// `katasharp monitor --listen ADDR`: one HTTP endpoint (`GET /metrics`) with every running sandbox's metrics, each series
/// labelled <c>sandbox_id</c> (as kata-monitor does), for Prometheus to scrape. Runs until SIGINT or SIGTERM.
/// </summary>
public static class MonitorCommand
{
    /// <summary>How long one sandbox may take to answer a scrape before it is left out of it.</summary>
    public static readonly TimeSpan SandboxTimeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            HelpName = "ADDR",
            Description = "the address and port to serve on, e.g. 127.0.0.1:8090 or [::1]:8090",
            Required = true,
        };
        listen.Validators.Add(result =>
        {
            if (!IPEndPoint.TryParse(result.GetValueOrDefault<string>() ?? "", out IPEndPoint? endPoint) || endPoint.Port == 0)
            {
                result.AddError("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8090");
            }
        });
        var command = new Command("monitor", "serve every running sandbox's metrics on one HTTP endpoint (GET /metrics), as kata-monitor") { listen };
        command.SetAction(result =>
        {
            using var stop = new CancellationTokenSource();
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
            return RunAsync(IPEndPoint.Parse(result.GetValue(listen)!), SandboxStateStore.FromEnvironment(), result.InvocationConfiguration.Output, stop.Token)
                .GetAwaiter().GetResult();
        });
        return command;
    }

    public static async Task<int> RunAsync(IPEndPoint address, SandboxStateStore store, TextWriter output, CancellationToken stop)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(address);
            listener.Listen(MetricsHttpServer.MaxConnections);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"cannot listen on {address}: {e.Message}", e);
        }
        var monitor = new SandboxMonitor(store, SandboxTimeout);
        await using (new MetricsHttpServer(listener, monitor.RenderAsync))
        {
            output.WriteLine($"katasharp monitor: serving the metrics of the sandboxes in {store.Root} on http://{listener.LocalEndPoint}/metrics");
            output.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, stop);
            }
            catch (OperationCanceledException)
            {
                // SIGINT or SIGTERM: stop serving.
            }
        }
        return 0;
    }
}
