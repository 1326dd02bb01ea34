using KataSharp.Agent.Engine;
using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Processes;
using KataSharp.Agent.Engine.Spawning;
using KataSharp.Agent.Protocol.DebugConsoleWire;
using KataSharp.Linux.Processes;
using KataSharp.Linux.Sockets;
using KataSharp.Linux.Terminals;
using Microsoft.Extensions.Logging;

namespace KataSharp.Agent.Hosting;

/// <summary>
/// One debug-console connection: reads the host's open frame (terminal or not, its size, an optional command), starts
/// /bin/sh (or `sh -c COMMAND`) as guest root through ks-spawn in host mode, then copies input and resizes in, stdout
/// and stderr out, and ends with the exit code. The shell is killed when the host goes away. The image may have no
/// shell (the default initrd): the host gets a refusal naming the build switch that adds one.
/// </summary>
internal sealed class DebugConsoleSession(ContainerEngine engine, StreamSocket client, ILogger log)
{
    private static readonly string[] Shells = ["/bin/sh", "/bin/busybox"];

    /// <summary>The open frame must come this soon: a connection that says nothing must not hold a session slot.</summary>
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long output still drains after the shell exited (a background child can hold the pipe open).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    public const string NoShellMessage = "no shell in this guest image: build the initrd with KATASHARP_INITRD_DEBUG_SHELL=1 " +
        "(guest-image/initrd/build-initrd.sh), point [hypervisor.katasharp] initrd at it and restart the pod";

    private readonly DebugConsoleFrameDecoder _decoder = new();
    private readonly SemaphoreSlim _sending = new(1, 1);

    public async Task RunAsync()
    {
        try
        {
            await ServeAsync();
        }
        catch (InvalidDataException e)
        {
            log.LogWarning("debug console: closed a connection that broke the protocol: {Message}", e.Message);
        }
    }

    private async Task ServeAsync()
    {
        DebugConsoleOpen open;
        using (var opening = new CancellationTokenSource(OpenTimeout))
        {
            if (await NextFrameAsync(opening.Token) is not { } first)
            {
                return;
            }
            open = DebugConsoleOpen.Parse(first);
        }
        string? shell = Shells.FirstOrDefault(File.Exists);
        if (shell is null)
        {
            await SendAsync(DebugConsoleFrame.Encode(DebugConsoleFrameType.Refused, System.Text.Encoding.UTF8.GetBytes(NoShellMessage)), CancellationToken.None);
            return;
        }
        var plan = new ProcessPlan { Args = Arguments(shell, open.Command), Env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=vt100"], Cwd = "/", Uid = 0, Gid = 0, Terminal = open.Terminal };
        TerminalSize? size = open.Terminal && open.Rows > 0 && open.Columns > 0 ? new TerminalSize(open.Rows, open.Columns) : null;
        using ProcessStdio stdio = ProcessStdio.Create(engine.Poller, wantStdin: true, wantStdout: true, wantStderr: !open.Terminal, terminal: open.Terminal, size);
        using SpawnedProcess spawned = await engine.Launcher.LaunchAsync(PlanEncoder.ForHost(plan), stdio.ChildStdin, stdio.ChildStdout, stdio.ChildStderr,
            stdio.ChildTerminalSocket, waitForStart: false, fieldPrefix: "", CancellationToken.None);
        stdio.ReleaseChildEnds();
        // Sized as soon as the master is here, as for a container's exec: ks-spawn (host mode) starts the shell at once,
        // so a command that asks for the size in its first instant can still see 0x0. Input is read only after this.
        stdio.AttachTerminal();
        log.LogInformation("debug console: {Shell} started (pid {Pid}, {Mode}{Command})", shell, spawned.Pid, open.Terminal ? "terminal" : "no terminal",
            open.Command is null ? "" : ", a command");
        using var done = new CancellationTokenSource();
        Task output = Task.WhenAll(
            PumpAsync(stdio.Stdout, DebugConsoleFrameType.Output, done.Token),
            PumpAsync(stdio.Stderr, DebugConsoleFrameType.ErrorOutput, done.Token));
        Task input = Task.Run(() => InputAsync(stdio, done.Token));
        await Task.WhenAny(spawned.Exit, input);
        if (!spawned.Exit.IsCompleted)
        {
            // The host went away (or broke the protocol): nobody is left to talk to the shell, nor to what it started.
            engine.Reaper.SignalGroup(spawned.Pid, ProcessSignal.SIGKILL);
        }
        ChildStatus status = await spawned.Exit;
        await Task.WhenAny(output, Task.Delay(DrainTimeout));
        done.Cancel();
        // After all output: the host prints everything before it exits with the code. A host that is gone fails this
        // write harmlessly (the connection is closed next).
        await SendAsync(DebugConsoleFrame.Exit(status.ExitCode), CancellationToken.None);
        // The copies end with the cancellation; only a protocol breach is worth reporting.
        await Task.WhenAll(input, output).ContinueWith(_ => { }, TaskScheduler.Default);
        if (input.Exception?.InnerException is InvalidDataException broken)
        {
            throw broken;
        }
    }

    /// <summary>busybox is a shell only when asked for one by name; a command goes to `sh -c`.</summary>
    public static string[] Arguments(string shell, string? command)
    {
        var args = new List<string> { shell };
        if (shell.EndsWith("busybox", StringComparison.Ordinal))
        {
            args.Add("sh");
        }
        if (command is not null)
        {
            args.Add("-c");
            args.Add(command);
        }
        return [.. args];
    }

    /// <summary>Until the host's end of stream: input to the shell, end of input, terminal resizes.</summary>
    private async Task InputAsync(ProcessStdio stdio, CancellationToken cancellationToken)
    {
        bool stdinOpen = true;
        while (await NextFrameAsync(cancellationToken) is { } frame)
        {
            switch (frame.Type)
            {
                case DebugConsoleFrameType.Input when stdinOpen:
                    // A shell that stopped reading drops the rest; its exit ends the session.
                    stdinOpen = await stdio.WriteStdinAsync(frame.Payload, cancellationToken);
                    break;
                case DebugConsoleFrameType.Input:
                    break;
                case DebugConsoleFrameType.InputEnd when stdinOpen:
                    stdio.CloseStdin();
                    stdinOpen = false;
                    break;
                case DebugConsoleFrameType.InputEnd:
                    break;
                case DebugConsoleFrameType.Resize when stdio.IsTerminal:
                    (ushort rows, ushort columns) = frame.ReadSize();
                    stdio.Resize(new TerminalSize(rows, columns));
                    break;
                default:
                    throw new InvalidDataException($"debug console: a {frame.Type} frame from the host after the open frame");
            }
        }
    }

    private async Task PumpAsync(OutputBuffer? buffer, DebugConsoleFrameType type, CancellationToken cancellationToken)
    {
        if (buffer is null)
        {
            return;
        }
        await foreach (byte[] chunk in buffer.ReadAllAsync(cancellationToken))
        {
            for (int offset = 0; offset < chunk.Length; offset += DebugConsoleFrame.MaxPayload)
            {
                int length = Math.Min(DebugConsoleFrame.MaxPayload, chunk.Length - offset);
                if (!await SendAsync(DebugConsoleFrame.Encode(type, chunk.AsSpan(offset, length)), cancellationToken))
                {
                    return;
                }
            }
        }
    }

    /// <summary>One whole frame at a time: stdout's and stderr's pumps share the connection.</summary>
    private async Task<bool> SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            return await FdStreams.WriteAllAsync(engine.Poller, client.Descriptor, frame, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>The host's next frame, or null at its end of stream between frames.</summary>
    private async Task<DebugConsoleFrame?> NextFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_decoder.TryTake(out DebugConsoleFrame frame))
            {
                return frame;
            }
            int n = await FdStreams.ReadAsync(engine.Poller, client.Descriptor, _decoder.Free, cancellationToken);
            if (n == 0)
            {
                return _decoder.HasPartialFrame ? throw new InvalidDataException("debug console: the host's stream ended inside a frame") : null;
            }
            _decoder.Advance(n);
        }
    }
}
