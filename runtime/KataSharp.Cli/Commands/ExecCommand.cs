using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using KataSharp.Agent.Protocol;
using KataSharp.Agent.Protocol.DebugConsoleWire;
using KataSharp.Cli.DebugShell;
using KataSharp.Linux.Files;
using KataSharp.Linux.Terminals;
using KataSharp.Runtime.Persistence;
using Microsoft.Win32.SafeHandles;

namespace KataSharp.Cli.Commands;

/// <summary>
/// `katasharp exec SANDBOX [-t] [-- COMMAND...]`: a root shell in a sandbox's guest — the pod's VM, not a container —
/// through its debug console (guest vsock port <see cref="AgentProtocolConstants.DebugConsolePort"/>, reached through the
/// VM's hybrid vsock socket in the sandbox's state directory). Only for a sandbox booted with [runtime] debug_console =
/// true, which the shim records in the sandbox's state. As ssh does: a terminal (local raw mode, the window size and its
/// changes sent along) for an interactive shell on a terminal, or with -t; otherwise plain stdin/stdout/stderr. Exits with
/// the guest command's status, 1 when katasharp itself failed, 128 + N when signal N ended it.
/// </summary>
public static class ExecCommand
{
    public static Command Create()
    {
        var sandbox = new Argument<string>("sandbox-id") { Description = "the pod's sandbox id (with ctr: the first container's id; with CRI: crictl pods --no-trunc)" };
        var command = new Argument<string[]>("command")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "after --: run this with sh -c in the guest (words joined with spaces) instead of an interactive shell",
        };
        var tty = new Option<bool>("--tty", "-t") { Description = "a terminal for COMMAND too (an interactive shell gets one when stdin is a terminal)" };
        var exec = new Command("exec", "a root shell in a sandbox's guest VM (not in a container); needs [runtime] debug_console = true when the pod started")
        {
            sandbox, command, tty,
        };
        exec.SetAction(result => Run(result.GetValue(sandbox)!, result.GetValue(command) ?? [], result.GetValue(tty), result.InvocationConfiguration.Error));
        return exec;
    }

    public static int Run(string sandboxId, string[] command, bool tty, TextWriter error)
    {
        try
        {
            string socketPath = DebugConsoleTarget.Resolve(SandboxStateStore.FromEnvironment(), sandboxId);
            return RunAsync(socketPath, command.Length == 0 ? null : string.Join(' ', command), tty, error).GetAwaiter().GetResult();
        }
        catch (DebugConsoleRefusedException e)
        {
            error.WriteLine($"katasharp exec: {e.Message}");
            return 1;
        }
        catch (SocketException e)
        {
            // Not an IOException, which the command line reports for every command: said here.
            error.WriteLine($"katasharp exec: the VM's vsock socket: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RunAsync(string socketPath, string? command, bool tty, TextWriter error)
    {
        using var stopping = new CancellationTokenSource();
        using Socket socket = await HybridVsock.ConnectAsync(socketPath, AgentProtocolConstants.DebugConsolePort, stopping.Token);
        await using var connection = new NetworkStream(socket, ownsSocket: false);
        var stdin = new FileDescriptor(StandardDescriptors.Stdin, ownsHandle: false);
        // Raw mode only once the guest is reached: the refusals above print on a terminal as it was.
        using RawMode? raw = command is null || tty ? RawMode.TryEnter(stdin) : null;
        TerminalSize size = raw is null ? default : PseudoTerminal.GetSize(stdin);
        var messages = new StringWriter();
        var client = new DebugConsoleClient(connection, messages);
        int stoppedBy = 0;
        PosixSignalRegistration Stop(PosixSignal signal, int number) => PosixSignalRegistration.Create(signal, context =>
        {
            // Not the runtime's default (exit at once): the terminal is restored and the connection closed first.
            context.Cancel = true;
            Interlocked.CompareExchange(ref stoppedBy, number, 0);
            stopping.Cancel();
        });
        using PosixSignalRegistration interrupt = Stop(PosixSignal.SIGINT, 2), terminate = Stop(PosixSignal.SIGTERM, 15),
            hangUp = Stop(PosixSignal.SIGHUP, 1), quit = Stop(PosixSignal.SIGQUIT, 3);
        using PosixSignalRegistration? resize = raw is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
        {
            TerminalSize now = PseudoTerminal.GetSize(stdin);
            // Fire and forget: the handler must not block; a connection that is gone fails the session anyway.
            client.ResizeAsync(now.Rows, now.Columns, stopping.Token).ContinueWith(t => t.Exception, TaskScheduler.Default);
        });
        int status;
        try
        {
            using var input = new FileStream(new SafeFileHandle(StandardDescriptors.Stdin, ownsHandle: false), FileAccess.Read, bufferSize: 0);
            using Stream output = Console.OpenStandardOutput(), errors = Console.OpenStandardError();
            status = await client.RunAsync(new DebugConsoleOpen(raw is not null, size.Rows, size.Columns, command), input, output, errors, stopping.Token);
        }
        catch (OperationCanceledException) when (stoppedBy != 0)
        {
            status = 128 + stoppedBy;
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
            messages.WriteLine($"katasharp exec: the debug console connection failed: {e.Message}");
            status = 1;
        }
        finally
        {
            raw?.Dispose();
        }
        error.Write(messages.ToString());
        return status;
    }
}
