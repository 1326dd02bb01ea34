using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Files;
using KataSharp.Linux.Processes;

namespace KataSharp.Agent.Engine.Spawning;

/// <summary>
/// A process ks-spawn created: its pid, its exit task (from the reaper) and, in create mode, the
/// start pipe plus the status pipe that reports the outcome of execve.
/// </summary>
public sealed class SpawnedProcess : IDisposable
{
    private readonly FdPoller _poller;
    private FileDescriptor? _startPipe;
    private FileDescriptor? _status;

    internal SpawnedProcess(int pid, Task<ChildStatus> exit, FdPoller poller, FileDescriptor? startPipe, FileDescriptor? status)
    {
        Pid = pid;
        Exit = exit;
        _poller = poller;
        _startPipe = startPipe;
        _status = status;
    }

    public int Pid { get; }

    public Task<ChildStatus> Exit { get; }

    /// <summary>Create mode: lets the waiting process execve and reports whether execve worked.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        FileDescriptor start = _startPipe ?? throw AgentException.FailedPrecondition("the process was not created waiting for a start");
        FileDescriptor status = _status!;
        try
        {
            start.WriteAll([1]);
        }
        catch (Linux.LinuxException e) when (e.Errno == Linux.Errno.EPIPE)
        {
            throw AgentException.FailedPrecondition("the container's init process exited before it was started");
        }
        finally
        {
            start.Dispose();
            _startPipe = null;
        }
        SpawnReport report = await SpawnReport.ReadAsync(_poller, status, untilEof: true, cancellationToken).ConfigureAwait(false);
        _poller.Forget(status);
        status.Dispose();
        _status = null;
        if (report.Failure is SpawnFailure failure)
        {
            throw failure.ToException();
        }
    }

    public void Dispose()
    {
        _startPipe?.Dispose();
        if (_status is not null)
        {
            _poller.Forget(_status);
            _status.Dispose();
        }
    }
}
