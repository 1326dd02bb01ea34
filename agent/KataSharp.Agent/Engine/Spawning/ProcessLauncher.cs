using KataSharp.Agent.Engine.Io;
using KataSharp.Agent.Engine.Reaping;
using KataSharp.Agent.Errors;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Memory;
using KataSharp.Linux.Processes;

namespace KataSharp.Agent.Engine.Spawning;

/// <summary>
/// Runs ks-spawn with a plan and the process's stdio, and turns its status records into a
/// <see cref="SpawnedProcess"/> or an <see cref="AgentException"/>. The helper is started with
/// posix_spawn (vfork + exec: no managed code in a child), is itself tracked by the reaper, and
/// hands the new process to us as a direct child (CLONE_PARENT).
/// ks-spawn is never executed from its file: the launcher copies it once into a sealed memfd and
/// executes that. A container process that reaches a ks-spawn (or its clone, the container's own
/// process before execve) through /proc/PID/exe gets a file nobody can write (CVE-2019-5736: runc's
/// binary was overwritten that way). One copy for the agent's lifetime, not one per spawn as runc
/// must do, because the agent is the long-lived parent of every spawn.
/// </summary>
public sealed class ProcessLauncher : IDisposable
{
    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(60);
    private readonly FileDescriptor _helper;
    private readonly string _helperExecPath;
    private readonly Reaper _reaper;
    private readonly FdPoller _poller;

    public ProcessLauncher(string helperPath, Reaper reaper, FdPoller poller)
    {
        if (!File.Exists(helperPath))
        {
            throw new FileNotFoundException(
                $"the container helper ks-spawn is missing at {helperPath}; build it with agent/native/build.sh (or pass --spawn-helper)", helperPath);
        }
        try
        {
            using FileDescriptor sealedCopy = MemFd.CreateSealedCopy("ks-spawn", File.ReadAllBytes(helperPath));
            // Above every fd number a spawn maps (0-6): the exec path names this number in the child.
            _helper = sealedCopy.DuplicateAbove(SpawnProtocol.FirstFreeFd);
        }
        catch (LinuxException e)
        {
            throw new LinuxException(e.Call, (int)e.Errno, $"the sealed executable copy of {helperPath}; an executable memfd is needed (vm.memfd_noexec must be below 2)");
        }
        _helperExecPath = $"/proc/self/fd/{_helper.Value}";
        _reaper = reaper;
        _poller = poller;
    }

    /// <param name="waitForStart">Create mode: the process stops before execve until <see cref="SpawnedProcess.StartAsync"/>.</param>
    /// <param name="terminalSocket">Terminal: the child's end of the socket the pty master comes back on.</param>
    public async Task<SpawnedProcess> LaunchAsync(byte[] plan, FileDescriptor stdin, FileDescriptor stdout, FileDescriptor stderr,
        FileDescriptor? terminalSocket, bool waitForStart, string fieldPrefix, CancellationToken cancellationToken)
    {
        using FileDescriptor planFd = MemFd.Create("ks-plan", (ulong)plan.Length);
        planFd.WriteAllAt(plan, 0);
        (FileDescriptor statusRead, FileDescriptor statusWrite) = Pipe.Create(nonBlockingRead: true);
        FileDescriptor? startRead = null, startWrite = null;
        if (waitForStart)
        {
            (startRead, startWrite) = Pipe.Create();
        }

        int helperPid;
        Task<ChildStatus> helperExit;
        try
        {
            var fds = new List<(int, FileDescriptor)>
            {
                (0, stdin), (1, stdout), (2, stderr), (SpawnProtocol.PlanFd, planFd), (SpawnProtocol.StatusFd, statusWrite),
            };
            if (startRead is not null)
            {
                fds.Add((SpawnProtocol.StartFd, startRead));
            }
            if (terminalSocket is not null)
            {
                fds.Add((SpawnProtocol.TerminalFd, terminalSocket));
            }
            helperPid = ProcessSpawner.Spawn(_helperExecPath, ["ks-spawn"], [], fds);
            helperExit = _reaper.Track(helperPid);
        }
        catch
        {
            statusRead.Dispose();
            startWrite?.Dispose();
            throw;
        }
        finally
        {
            statusWrite.Dispose();
            startRead?.Dispose();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SetupTimeout);
        SpawnReport report;
        try
        {
            report = await SpawnReport.ReadAsync(_poller, statusRead, untilEof: !waitForStart, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _reaper.Signal(helperPid, ProcessSignal.SIGKILL);
            Dispose(statusRead, startWrite);
            throw AgentException.Internal($"container setup did not finish within {SetupTimeout.TotalSeconds}s");
        }

        ChildStatus helper = await helperExit.ConfigureAwait(false);
        Task<ChildStatus>? exit = report.Pid is int pid ? _reaper.Track(pid) : null;
        if (report.Failure is SpawnFailure failure)
        {
            Dispose(statusRead, startWrite);
            if (exit is not null)
            {
                await exit.ConfigureAwait(false); // the child _exit()s right after reporting
            }
            throw failure.ToException(fieldPrefix);
        }
        if (exit is null || (waitForStart && !report.Ready))
        {
            Dispose(statusRead, startWrite);
            throw AgentException.Internal($"ks-spawn ended ({helper}) without reporting a {(exit is null ? "pid" : "ready process")}");
        }
        if (!waitForStart)
        {
            Dispose(statusRead, null);
            return new SpawnedProcess(report.Pid!.Value, exit, _poller, null, null);
        }
        return new SpawnedProcess(report.Pid!.Value, exit, _poller, startWrite, statusRead);
    }

    private void Dispose(FileDescriptor status, FileDescriptor? start)
    {
        _poller.Forget(status);
        status.Dispose();
        start?.Dispose();
    }

    public void Dispose() => _helper.Dispose();
}
