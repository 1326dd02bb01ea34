namespace KataSharp.TestHost.Protocol;

/// <summary>The lines the host sends to the agent (see the top of tests/testhost/agent.sh).</summary>
internal static class HostMessage
{
    public const string Shutdown = "SHUTDOWN";

    public static string Run(string id) => $"RUN {Checked(id)}";

    public static string Kill(string id) => $"KILL {Checked(id)}";

    private static string Checked(string id) =>
        CommandId.IsValid(id) ? id : throw new ArgumentException($"'{id}' is not a valid command id", nameof(id));
}
