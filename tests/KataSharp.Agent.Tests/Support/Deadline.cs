namespace KataSharp.Agent.Tests.Support;

/// <summary>Cancellation tokens that bound a wait; tests wait on conditions, never sleep.</summary>
public static class Deadline
{
    public static CancellationToken Token(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
