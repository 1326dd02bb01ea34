namespace KataSharp.TestHost.Protocol;

/// <summary>The lines the host sends to the agent (see the top of tests/testhost/agent.sh).</summary>
internal static class HostMessage
{
    public const string Shutdown = "SHUTDOWN";

    public static string Run(string id) => $"RUN {Checked(id)}";

    public static string Kill(string id) => $"KILL {Checked(id)}";

    /// <summary>A heartbeat; the agent's read loop answers PONG with the same number.</summary>
    public static string Ping(long sequence) =>
        sequence >= 0 ? $"PING {sequence}" : throw new ArgumentOutOfRangeException(nameof(sequence), "a heartbeat number is not negative");

    private static string Checked(string id) =>
        CommandId.IsValid(id) ? id : throw new ArgumentException($"'{id}' is not a valid command id", nameof(id));
}
