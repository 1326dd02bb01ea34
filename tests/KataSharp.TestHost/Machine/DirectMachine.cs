using System.Diagnostics;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// Direct mode: the same agent runs on this machine, talking over its stdin/stdout; its stderr
/// is the "console". The agent stops (killing its commands) when its stdin closes, which also
/// happens when this process dies.
/// </summary>
internal sealed class DirectMachine : IHostMachine
{
    private readonly Process agent;
    private readonly RunDirectory run;

    private DirectMachine(Process agent, RunDirectory run)
    {
        this.agent = agent;
        this.run = run;
        ProcessId = agent.Id;
        Exited = agent.WaitForExitAsync(CancellationToken.None);
    }

    public TestHostMode Mode => TestHostMode.Direct;

    public Stream FromAgent => agent.StandardOutput.BaseStream;

    public Stream ToAgent => agent.StandardInput.BaseStream;

    public Task Exited { get; }

    public int ProcessId { get; }

    public string Description => $"agent pid {ProcessId}";

    public static DirectMachine Start(string agentScript, RunDirectory run)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (string a in (string[])["-c", "exec bash \"$0\" --stdio --spool \"$1\" 2>>\"$2\"", agentScript, run.Spool, run.ConsoleLog])
        {
            start.ArgumentList.Add(a);
        }
        var agent = Process.Start(start)
            ?? throw new TestHostException(TestHostError.StartFailed, $"cannot start bash for {agentScript}");
        return new DirectMachine(agent, run);
    }

    public string ConsoleTail(int lines) => ConsoleLog.Tail(run.ConsoleLog, lines);

    public string MachineLogTail(int lines) => "";

    public void Kill()
    {
        try
        {
            agent.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The agent is already gone: closing flushes into a broken pipe, which .NET reports as IOException the
            // first time and InvalidOperationException ("pipe is broken") on a later close (seen when the crash
            // tests' machine died and the fixture then disposed it).
        }
        if (!agent.HasExited)
        {
            agent.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        Kill();
        agent.Dispose();
    }
}
