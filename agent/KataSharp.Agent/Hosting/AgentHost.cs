using Grpc.AspNetCore.Server.Model;
using KataSharp.Agent.Engine;
using KataSharp.Agent.Hosting.Listeners;
using KataSharp.Agent.Logging;
using KataSharp.Agent.Network;
using KataSharp.Agent.Protocol;
using KataSharp.Agent.Sandbox;
using KataSharp.Agent.Services;
using KataSharp.Linux;
using KataSharp.Linux.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting;

/// <summary>Builds and runs the agent: reaping set up first, then the engine, then Kestrel gRPC on the listen address.</summary>
public static class AgentHost
{
    public static int Run(AgentOptions options)
    {
        // Before anything can start a child: with SIGCHLD ignored the kernel would reap our
        // children itself and every exit code would be lost (and .NET keeps an ignored SIGCHLD ignored).
        bool sigchldWasIgnored = SignalDisposition.ResetIfIgnored(ProcessSignal.SIGCHLD);
        ChildSubreaper.Enable();

        using var sink = new LogSink(options.LogToVsock);
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(options.LogLevel).AddProvider(new AgentLoggerProvider(sink, options.LogLevel)));
        ILogger log = loggers.CreateLogger("agent");
        if (sigchldWasIgnored)
        {
            log.LogWarning("SIGCHLD was ignored at startup (inherited); reset to default so exit codes are kept");
        }

        ContainerEngine engine;
        try
        {
            engine = new ContainerEngine(new EngineOptions
            {
                StateDir = options.StateDir,
                CgroupMountPoint = options.CgroupMountPoint,
                CgroupName = options.CgroupName,
                SpawnHelperPath = options.SpawnHelperPath,
                ReapUnknownChildren = true,
            }, loggers);
        }
        catch (Exception e) when (e is FileNotFoundException or IOException or UnauthorizedAccessException or Linux.LinuxException)
        {
            log.LogCritical("cannot start the container engine: {Message}", e.Message);
            return 1;
        }

        using (engine)
        {
            var sandbox = new SandboxState(new GuestSettings(options.EtcDir), new SharedFiles(Path.Combine(options.StateDir, "shared")),
                new PodVolumes(Path.Combine(options.StateDir, "volumes")));
            Directory.CreateDirectory(sandbox.Files.Root);
            WebApplication app = Build(options, engine, sandbox, loggers);
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                sandbox.ReadyAtBootMs = SandboxInfo.UptimeMilliseconds();
                log.LogInformation("{Agent} serving gRPC on {Address} ({Ms} ms after boot); cgroup controllers: {Controllers}",
                    BuildVersion.Current.Line("katasharp-agent"), options.Listen, sandbox.ReadyAtBootMs, string.Join(' ', engine.Cgroups.Controllers));
            });
            using DebugConsole? console = options.DebugConsole ? DebugConsole.Start(engine, loggers.CreateLogger("debug-console")) : null;
            // On vsock only (the guest); an agent under test on a unix socket has no host to forward for.
            using PortForwardService? portForward = options.Listen.UnixPath is null
                ? PortForwardService.Start(engine.Poller, loggers.CreateLogger("port-forward")) : null;
            app.Run();
            log.LogInformation("stopping: removing containers");
            engine.RemoveAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        return 0;
    }

    private static WebApplication Build(AgentOptions options, ContainerEngine engine, SandboxState sandbox, ILoggerFactory loggers)
    {
        // The empty builder, not the slim one: the slim builder reads appsettings.json from its content root with reload on
        // change, and .NET watches that root recursively with inotify — in the guest "/" with /proc, /sys and every
        // container's upper directory (seconds of the agent's start under nested virtualization, one watch and a wakeup for
        // every directory a container makes). The agent takes no configuration from files: only what it needs is added.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", options.LogLevel <= LogLevel.Debug ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", options.LogLevel <= LogLevel.Debug ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddProvider(new LoggerForwarder(loggers));
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(sandbox);
        builder.Services.AddSingleton(new GuestNetwork());
        builder.Services.AddSingleton<IConnectionListenerFactory>(new DescriptorListenerFactory(loggers));
        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMapping>();
            o.MaxReceiveMessageSize = 16 << 20;
            o.EnableDetailedErrors = false;
        });
        // The services bind through their generated code, not gRPC's reflection-based default (GeneratedServiceMethodProvider).
        builder.Services.RemoveAll(typeof(IServiceMethodProvider<>));
        builder.Services.AddGeneratedGrpcService<AgentGrpcService>(AgentService.BindService);
        builder.Services.AddGeneratedGrpcService<HealthGrpcService>(Health.BindService);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(new AgentEndPoint(options.Listen), l => l.Protocols = HttpProtocols.Http2);
            // Long-lived streams (stdio, OOM events) must not be cut by Kestrel's defaults.
            k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            k.Limits.Http2.MaxStreamsPerConnection = 1000;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MinResponseDataRate = null;
            k.AddServerHeader = false;
        });
        WebApplication app = builder.Build();
        app.MapGrpcService<AgentGrpcService>();
        app.MapGrpcService<HealthGrpcService>();
        return app;
    }

    /// <summary>Routes the host's loggers into the agent's sink (one format, one destination).</summary>
    private sealed class LoggerForwarder(ILoggerFactory loggers) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => loggers.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
