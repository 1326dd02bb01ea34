using KataSharp.Agent.Engine.Io;
using KataSharp.Linux.Files;
using KataSharp.Linux.Terminals;

namespace KataSharp.Agent.Engine.Processes;

/// <summary>
/// The stdio of one process: the descriptors handed to the child (pipes, a pty slave, or /dev/null
/// for streams nobody will read) and the agent's ends (stdin writer, output buffers, pty master).
/// </summary>
public sealed class ProcessStdio : IDisposable
{
    private const int O_RDWR = 2;
    private readonly FdPoller _poller;
    private FileDescriptor? _stdin;
    private FileDescriptor? _childStdin, _childStdout, _childStderr;
    private readonly PseudoTerminal? _terminal;

    private ProcessStdio(FdPoller poller, PseudoTerminal? terminal)
    {
        _poller = poller;
        _terminal = terminal;
    }

    public OutputBuffer? Stdout { get; private set; }

    public OutputBuffer? Stderr { get; private set; }

    public bool IsTerminal => _terminal is not null;

    /// <summary>Creates the pipes/pty. With a terminal, stdout carries everything and there is no stderr stream.</summary>
    public static ProcessStdio Create(FdPoller poller, bool wantStdin, bool wantStdout, bool wantStderr, bool terminal, TerminalSize? size)
    {
        if (terminal)
        {
            var pty = PseudoTerminal.Open();
            var stdio = new ProcessStdio(poller, pty);
            if (size is TerminalSize s)
            {
                PseudoTerminal.Resize(pty.Master, s);
            }
            stdio._childStdin = pty.Slave;
            stdio._childStdout = pty.Slave;
            stdio._childStderr = pty.Slave;
            // The pty master is both our stdin writer and the output source: duplicate it for the pump.
            stdio._stdin = wantStdin ? pty.Master : null;
            stdio.Stdout = new OutputBuffer(pty.Master.DuplicateAbove(3), poller);
            return stdio;
        }

        var result = new ProcessStdio(poller, null);
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

    /// <summary>After the child has its copies: drop ours, so end of stream arrives when the child's side closes.</summary>
    public void ReleaseChildEnds()
    {
        if (_terminal is not null)
        {
            _terminal.Slave.Dispose();
        }
        else
        {
            _childStdin?.Dispose();
            _childStdout?.Dispose();
            _childStderr?.Dispose();
        }
        _childStdin = _childStdout = _childStderr = null;
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
        if (_terminal is not null)
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
        if (_terminal is null)
        {
            throw AgentException.FailedPrecondition("the process has no terminal (process.terminal is false)");
        }
        PseudoTerminal.Resize(_terminal.Master, size);
    }

    public void Dispose()
    {
        ReleaseChildEnds();
        CloseStdin();
        Stdout?.Dispose();
        Stderr?.Dispose();
        if (_terminal is not null)
        {
            _poller.Forget(_terminal.Master);
            _terminal.Master.Dispose();
        }
    }
}
