using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Processes;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Events;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Memory;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tasks;
using KataSharp.Runtime.Telemetry;
using KataSharp.Runtime.Ttrpc;
using KataSharp.Vmm.Metrics;

namespace KataSharp.Shim.Verbs;

/// <summary>
/// The long-running shim: a new session, stderr on the bundle's `log` FIFO (containerd copies it
/// into its own log), the Task service on the socket `start` handed over as fd 3 (or -socket),
/// events forwarded to $TTRPC_ADDRESS. Runs until Shutdown leaves no container, or SIGTERM/SIGINT.
/// </summary>
public static class ServeVerb
{
    public static async Task<int> RunAsync(ShimArguments args, Func<RuntimeConfiguration, RuntimeLog, ISandboxBackend> backendFactory)
    {
        args.Require();
        DetachFromSession();
        RedirectStderrToLogFifo();
        // Disposed last: waits (bounded) for the queued records to reach the FIFO before the shim exits.
        using var log = new RuntimeLog(Console.Error, args.Debug, args.Id);
        var timeline = StartTimeline.OfThisProcess(log);

        using Socket listener = OpenListener(args);
        string socketPath = (listener.LocalEndPoint as UnixDomainSocketEndPoint)?.ToString() ?? args.Socket;
        var identity = new ShimIdentity(args.Namespace, Environment.ProcessId, ProcessStartTime.Of(Environment.ProcessId) ?? 0, socketPath);
        var store = SandboxStateStore.FromEnvironment();
        await using ITaskEventSink events = Environment.GetEnvironmentVariable("TTRPC_ADDRESS") is { Length: > 0 } ttrpcAddress
            ? new EventForwarder(ttrpcAddress, args.Namespace, log)
            : new LogEventSink(log);

        var sandbox = new SandboxHost(args.Id, store.DirectoryOf(args.Id), configuration => backendFactory(configuration, log), ConfigurationLoader.Load,
            configuration => new LayerImageCache(configuration.Runtime.LayerCacheDir, ErofsBuilderFor(configuration.Runtime, log), log), log, timeline);
        await using var supervisor = new TaskSupervisor(sandbox, events, store, identity, log, new MemoryTrim(log, sandbox.TrimVmmMemoryAsync));

        using var metrics = new SandboxMetrics(new SandboxMetricsSources(sandbox.VmmMetricsAsync, VmMetrics.Help, () => supervisor.ContainerIds,
            supervisor.StatsAsync, log.Drops));
        await using MetricsHttpServer? metricsServer = ServeMetrics(sandbox.StateDirectory, metrics, log);

        var exit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new TtrpcServiceRegistry();
        new TaskService(supervisor, () => exit.TrySetResult()).Register(registry);
        uint uid = ProcessIdentity.EffectiveUserId, gid = ProcessIdentity.EffectiveGroupId;
        await using var server = new TtrpcServer(listener, registry, new RuntimeErrorStatus(), peer => peer.Uid == uid && peer.Gid == gid);

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; exit.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; exit.TrySetResult(); });

        log.Info($"serving on {socketPath}");
        Task serving = server.RunAsync();
        await Task.WhenAny(exit.Task, serving);
        log.Info("shutting down");
        await server.StopAsync();
        await supervisor.DisposeAsync(); // stops the VM before the final event flush
        await events.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }
        store.Remove(args.Id);
        return 0;
    }

    /// <summary>The sandbox's metrics on &lt;state dir&gt;/metrics.sock (`katasharp metrics`, `katasharp monitor`). A socket
    /// that cannot be made costs the metrics, not the pod.</summary>
    private static MetricsHttpServer? ServeMetrics(string stateDirectory, SandboxMetrics metrics, RuntimeLog log)
    {
        string path = Path.Combine(stateDirectory, SandboxMetricsSocket.FileName);
        try
        {
            Directory.CreateDirectory(stateDirectory);
            return new MetricsHttpServer(UnixListener.Bind(path), metrics.RenderAsync);
        }
        catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
        {
            log.Warn($"no metrics socket at {path}: {e.Message}");
            return null;
        }
    }

    private static void DetachFromSession()
    {
        try
        {
            Session.CreateNew();
        }
        catch (LinuxException e) when (e.Errno == Errno.EPERM)
        {
            // Already a process-group leader (started by hand, not by `start`): nothing to detach from.
        }
    }

    private static void RedirectStderrToLogFifo()
    {
        // containerd created `log` in the bundle (our cwd) and holds it open read-write, so this open never blocks.
        if (!File.Exists("log"))
        {
            return;
        }
        using var fifo = FileDescriptor.Open("log", (int)OpenFlags.WriteOnly);
        StandardDescriptors.Replace(StandardDescriptors.Stderr, fifo);
    }

    private static Socket OpenListener(ShimArguments args)
    {
        if (string.IsNullOrEmpty(args.Socket))
        {
            return new Socket(new SafeSocketHandle(StartVerb.ListenerFd, ownsHandle: true));
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(args.Socket));
        socket.Listen(64);
        return socket;
    }

    private static ErofsBuilder ErofsBuilderFor(RuntimeSettings settings, RuntimeLog log)
    {
        if (!settings.ConfineLayerConversion)
        {
            log.Warn("layer conversion is not confined ([runtime] confine_layer_conversion = false): mkfs.erofs runs as root " +
                "with every capability and the host's network; for debugging only");
        }
        return new ErofsBuilder(timeout: TimeSpan.FromSeconds(settings.LayerConversionTimeoutSeconds), confined: settings.ConfineLayerConversion);
    }
}
