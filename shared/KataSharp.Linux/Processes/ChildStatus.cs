namespace KataSharp.Linux.Processes;

/// <summary>How a reaped child ended: an exit status, or the signal that killed it.</summary>
public readonly record struct ChildStatus(int Pid, int Status, int Signal)
{
    /// <summary>The shell convention containers use: the exit status, or 128 + signal number.</summary>
    public int ExitCode => Signal != 0 ? 128 + Signal : Status;

    public static ChildStatus Exited(int pid, int status) => new(pid, status, 0);

    public static ChildStatus Killed(int pid, int signal) => new(pid, 0, signal);

    public override string ToString() => Signal != 0 ? $"pid {Pid} killed by signal {Signal}" : $"pid {Pid} exited with {Status}";
}
