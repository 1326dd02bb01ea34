namespace KataSharp.Agent.Engine.Processes;

/// <summary>How a process ended: exit code (status, or 128 + signal), the signal if any, and when.</summary>
public sealed record ProcessExit(int ExitCode, int Signal, DateTimeOffset At);
