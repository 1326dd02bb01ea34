using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Engine.Spawning;
using KataSharp.Agent.Hosting.Listeners;
using KataSharp.Agent.Protocol;
using KataSharp.Linux;
using KataSharp.Linux.Sockets;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting;

/// <summary>
/// katasharp.debug_console: a shell on guest vsock port 1026 for debugging the guest (not containers).
/// Each connection gets a /bin/sh (if the image has one: build the initrd with a debug shell) on a
/// pty, started by ks-spawn in host mode; bytes are copied both ways until either side ends.
/// Only the host (vsock CID 2) is served: a guest-local peer would be a container asking for guest root.
/// </summary>
public sealed class DebugConsole : IDisposable
{
    private static readonly string[] Shells = ["/bin/sh", "/bin/busybox"];
    /// <summary>Shells at once; each is a process and a pty in the guest.</summary>
    private const int MaxSessions = 4;

    private readonly ContainerEngine _engine;
    private HostVsockServer? _server;

    private DebugConsole(ContainerEngine engine) => _engine = engine;

    public static DebugConsole? Start(ContainerEngine engine, ILogger log)
    {
        var console = new DebugConsole(engine);
        console._server = HostVsockServer.Start(AgentProtocolConstants.DebugConsolePort, "debug console", log, MaxSessions, console.ServeAsync);
        if (console._server is null)
        {
            return null;
        }
        log.LogWarning("debug console listening on vsock port {Port}: anyone with host access gets a guest root shell", AgentProtocolConstants.DebugConsolePort);
        return console;
    }

    private async Task ServeAsync(StreamSocket client)
    {
        string? shell = Shells.FirstOrDefault(File.Exists);
        if (shell is null)
        {
            client.Send("no shell in this guest image: rebuild the initrd with KATASHARP_INITRD_DEBUG_SHELL=1\n"u8);
            return;
        }
        var plan = new ProcessPlan { Args = shell.EndsWith("busybox", StringComparison.Ordinal) ? [shell, "sh"] : [shell], Env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=vt100"], Cwd = "/", Uid = 0, Gid = 0, Terminal = true };
        using ProcessStdio stdio = ProcessStdio.Create(_engine.Poller, true, true, false, terminal: true, size: null);
        using SpawnedProcess spawned = await _engine.Launcher.LaunchAsync(PlanEncoder.ForHost(plan), stdio.ChildStdin, stdio.ChildStdout, stdio.ChildStderr,
            stdio.ChildTerminalSocket, waitForStart: false, fieldPrefix: "", CancellationToken.None);
        stdio.ReleaseChildEnds();
        stdio.AttachTerminal();
        using var done = new CancellationTokenSource();
        Task output = Task.Run(async () =>
        {
            await foreach (byte[] chunk in stdio.Stdout!.ReadAllAsync(done.Token))
            {
                await FdStreamsToSocket(client, chunk, done.Token);
            }
        });
        Task input = Task.Run(async () =>
        {
            byte[] buffer = new byte[4096];
            while (true)
            {
                int n = await Engine.Io.FdStreams.ReadAsync(_engine.Poller, client.Descriptor, buffer, done.Token);
                if (n <= 0 || !await stdio.WriteStdinAsync(buffer.AsMemory(0, n), done.Token))
                {
                    break;
                }
            }
        });
        await Task.WhenAny(spawned.Exit, input);
        if (!spawned.Exit.IsCompleted)
        {
            _engine.Reaper.Signal(spawned.Pid, Linux.Processes.ProcessSignal.SIGKILL);
        }
        await spawned.Exit;
        await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(1)));
        done.Cancel();
    }

    private async Task FdStreamsToSocket(StreamSocket client, byte[] chunk, CancellationToken token)
    {
        ReadOnlyMemory<byte> rest = chunk;
        while (!rest.IsEmpty)
        {
            int n = client.Send(rest.Span);
            if (n < 0)
            {
                await _engine.Poller.WaitWritableAsync(client.Descriptor, token);
                continue;
            }
            rest = rest[n..];
        }
    }

    public void Dispose() => _server?.Dispose();
}
