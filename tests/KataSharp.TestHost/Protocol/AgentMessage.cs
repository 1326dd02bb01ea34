using System.Globalization;

namespace KataSharp.TestHost.Protocol;

/// <summary>
/// A line the agent (tests/testhost/agent.sh) sends to the host. The line formats are
/// documented at the top of agent.sh; this is the one place they are decoded.
/// </summary>
internal abstract record AgentMessage
{
    /// <summary>The agent serves commands; the kernel it runs on is <paramref name="KernelRelease"/>.</summary>
    public sealed record Ready(string KernelRelease) : AgentMessage;

    /// <summary>Command <paramref name="Id"/> runs as session/process group <paramref name="ProcessGroup"/>.</summary>
    public sealed record Started(string Id, int ProcessGroup) : AgentMessage;

    /// <summary>Command <paramref name="Id"/> ended; its output files are complete.</summary>
    public sealed record Done(string Id, int ExitCode) : AgentMessage;

    /// <summary>The agent could not act on a request about <paramref name="Id"/> ("-" when none).</summary>
    public sealed record Refused(string Id, string Reason) : AgentMessage;

    /// <summary>The agent's read loop answered heartbeat <paramref name="Sequence"/>.</summary>
    public sealed record Pong(long Sequence) : AgentMessage;

    public static AgentMessage Parse(string line)
    {
        string[] f = line.TrimEnd('\r').Split(' ');
        return (f[0], f.Length) switch
        {
            ("READY", 2) => new Ready(f[1]),
            ("STARTED", 3) when CommandId.IsValid(f[1]) => new Started(f[1], Number(f[2], line)),
            ("DONE", 3) when CommandId.IsValid(f[1]) => new Done(f[1], Number(f[2], line)),
            ("PONG", 2) => new Pong(HeartbeatNumber(f[1], line)),
            ("ERROR", >= 3) => new Refused(f[1], string.Join(' ', f[2..])),
            _ => throw Violation(line),
        };
    }

    private static int Number(string text, string line) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : throw Violation(line);

    private static long HeartbeatNumber(string text, string line) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : throw Violation(line);

    private static TestHostException Violation(string line) =>
        new(TestHostError.ProtocolViolation, $"the test host agent sent a line the protocol does not allow: '{line}'");
}
