namespace KataSharp.Runtime.Model;

/// <summary>How a process ended: exit code, or 128+signal when a signal killed it (SIGKILL → 137).</summary>
public sealed record ExitStatus(uint Code, DateTimeOffset ExitedAt)
{
    /// <summary>What containerd's own dead-shim path reports, and what a killed VM means for its processes.</summary>
    public const uint Killed = 128 + 9;
}
