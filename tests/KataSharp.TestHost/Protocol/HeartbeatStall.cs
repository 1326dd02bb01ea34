namespace KataSharp.TestHost.Protocol;

/// <summary>
/// A stalled machine: its oldest unanswered PING was sent <paramref name="Silence"/> ago,
/// <paramref name="Unanswered"/> PINGs are waiting, and the last PONG came <paramref name="SinceLastAnswer"/>
/// ago (null when none ever came).
/// </summary>
internal sealed record HeartbeatStall(TimeSpan Silence, int Unanswered, TimeSpan? SinceLastAnswer)
{
    public string Describe() =>
        $"its agent answered no heartbeat for {Silence.TotalSeconds:F0}s ({Unanswered} PINGs unanswered, "
        + (SinceLastAnswer is { } last ? $"the last PONG came {last.TotalSeconds:F0}s ago)" : "no PONG ever came)");
}
