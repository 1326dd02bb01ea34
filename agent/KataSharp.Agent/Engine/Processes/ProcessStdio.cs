using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Files;
using KataSharp.Linux.Sockets;
using KataSharp.Linux.Terminals;

namespace KataSharp.Agent.Engine.Processes;

/// <summary>
/// The stdio of one process: the descriptors handed to the child (pipes, or /dev/null for streams
/// nobody will read) and the agent's ends (stdin writer, output buffers, pty master). A terminal is
/// made by ks-spawn inside the process's own /dev (so `tty` can name it) and its master comes back
/// over a unix socket (<see cref="AttachTerminal"/>).
/// </summary>
public sealed class ProcessStdio : IDisposable
{
    private const int O_RDWR = 2;
    private readonly FdPoller _poller;
    private FileDescriptor? _stdin;
    private FileDescriptor? _childStdin, _childStdout, _childStderr;
    private readonly bool _wantStdin;
    private readonly TerminalSize? _size;
    private StreamSocket? _terminalSocket, _childTerminalSocket;
    private FileDescriptor? _master;

    private ProcessStdio(FdPoller poller, bool terminal, bool wantStdin, TerminalSize? size)
    {
        _poller = poller;
        IsTerminal = terminal;
        _wantStdin = wantStdin;
        _size = size;
    }

    public OutputBuffer? Stdout { get; private set; }

    public OutputBuffer? Stderr { get; private set; }

    public bool IsTerminal { get; }

    /// <summary>Creates the pipes/pty. With a terminal, stdout carries everything and there is no stderr stream.</summary>
    public static ProcessStdio Create(FdPoller poller, bool wantStdin, bool wantStdout, bool wantStderr, bool terminal, TerminalSize? size)
    {
        if (terminal)
        {
            var stdio = new ProcessStdio(poller, true, wantStdin, size);
            (stdio._terminalSocket, stdio._childTerminalSocket) = StreamSocket.CreateUnixPair(nonBlocking: false);
            // Placeholders: ks-spawn replaces 0-2 with the pty slave it makes.
            stdio._childStdin = FileDescriptor.Open("/dev/null", O_RDWR);
            stdio._childStdout = FileDescriptor.Open("/dev/null", O_RDWR);
            stdio._childStderr = FileDescriptor.Open("/dev/null", O_RDWR);
            return stdio;
        }

        var result = new ProcessStdio(poller, false, wantStdin, size);
        try
        {
            if (wantStdin)
            {
                (FileDescriptor read, FileDescriptor write) = Pipe.Create(nonBlockingWrite: true);
                result._childStdin = read;
                result._stdin = write;
            }
            else
            {
                result._childStdin = FileDescriptor.Open("/dev/null", O_RDWR);
            }
            result._childStdout = Output(wantStdout, poller, out OutputBuffer? stdout);
            result.Stdout = stdout;
            result._childStderr = Output(wantStderr, poller, out OutputBuffer? stderr);
            result.Stderr = stderr;
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static FileDescriptor Output(bool wanted, FdPoller poller, out OutputBuffer? buffer)
    {
        if (!wanted)
        {
            buffer = null;
            return FileDescriptor.Open("/dev/null", O_RDWR);
        }
        (FileDescriptor read, FileDescriptor write) = Pipe.Create(nonBlockingRead: true);
        buffer = new OutputBuffer(read, poller);
        return write;
    }

    public FileDescriptor ChildStdin => _childStdin ?? throw new ObjectDisposedException(nameof(ProcessStdio));

    public FileDescriptor ChildStdout => _childStdout ?? throw new ObjectDisposedException(nameof(ProcessStdio));

    public FileDescriptor ChildStderr => _childStderr ?? throw new ObjectDisposedException(nameof(ProcessStdio));

    /// <summary>The child's end of the pty socket (ks-spawn fd 6), or null without a terminal.</summary>
    public FileDescriptor? ChildTerminalSocket => _childTerminalSocket?.Descriptor;

    /// <summary>After the child has its copies: drop ours, so end of stream arrives when the child's side closes.</summary>
    public void ReleaseChildEnds()
    {
        _childStdin?.Dispose();
        _childStdout?.Dispose();
        _childStderr?.Dispose();
        _childTerminalSocket?.Dispose();
        _childStdin = _childStdout = _childStderr = null;
        _childTerminalSocket = null;
    }

    /// <summary>Terminal: takes the pty master ks-spawn sent (it is queued by the time the process is set
    /// up), sizes it, and starts the output pump. No-op without a terminal.</summary>
    public void AttachTerminal()
    {
        if (!IsTerminal || _master is not null)
        {
            return;
        }
        ReleaseChildEnds();
        FileDescriptor master = DescriptorPassing.Receive(_terminalSocket!)
            ?? throw AgentException.Internal("ks-spawn ended without sending the terminal's pty master");
        _terminalSocket!.Dispose();
        _terminalSocket = null;
        master.SetNonBlocking();
        _master = master;
        if (_size is TerminalSize s)
        {
            PseudoTerminal.Resize(master, s);
        }
        _stdin = _wantStdin ? master : null;
        Stdout = new OutputBuffer(master.DuplicateAbove(3), _poller);
    }

    /// <summary>Writes to the process's stdin; false when it no longer reads (closed or exited).</summary>
    public async Task<bool> WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        FileDescriptor stdin = _stdin ?? throw AgentException.FailedPrecondition("stdin is closed or was not requested (ProcessIo.stdin)");
        return await FdStreams.WriteAllAsync(_poller, stdin, data, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes stdin: the process reads end of file. A terminal has no separate stdin to close;
    /// it gets the EOF character (^D), which ends input for a program reading in canonical mode.</summary>
    public void CloseStdin()
    {
        if (IsTerminal)
        {
            if (_stdin is not null)
            {
                _stdin.TryWrite([0x04]);
                _stdin = null; // the master itself stays open for output
            }
            return;
        }
        if (_stdin is not null)
        {
            _poller.Forget(_stdin);
            _stdin.Dispose();
            _stdin = null;
        }
    }

    public void Resize(TerminalSize size)
    {
        if (!IsTerminal)
        {
            throw AgentException.FailedPrecondition("the process has no terminal (process.terminal is false)");
        }
        PseudoTerminal.Resize(_master ?? throw AgentException.FailedPrecondition("the terminal is not attached yet"), size);
    }

    public void Dispose()
    {
        ReleaseChildEnds();
        if (!IsTerminal)
        {
            CloseStdin();
        }
        Stdout?.Dispose();
        Stderr?.Dispose();
        _terminalSocket?.Dispose();
        if (_master is not null)
        {
            _poller.Forget(_master);
            _master.Dispose();
        }
    }
}
