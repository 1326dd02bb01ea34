using KataSharp.TestHost;

namespace KataSharp.Integration.Tests;

/// <summary>
/// One test-host command per test class, shared by its facts: a nested guest boot costs tens of
/// seconds, so the first fact starts the run and the others await the same result. A run that
/// fails or throws fails every fact without running again.
/// </summary>
public sealed class SharedRun
{
    private readonly object gate = new();
    private Task<CommandResult>? run;

    public Task<CommandResult> GetAsync(Func<Task<CommandResult>> start)
    {
        lock (gate)
        {
            return run ??= start();
        }
    }

    /// <summary>The run's KEY=value lines (see AgentArtifacts.Values), once it exited 0.</summary>
    public async Task<Dictionary<string, string>> ValuesAsync(Func<Task<CommandResult>> start)
    {
        CommandResult result = await GetAsync(start);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"the scenario failed ({result.ExitCode}):\n{result.Stdout}\n--- stderr ---\n{result.Stderr}");
        }
        return Agent.AgentArtifacts.Values(result.Stdout);
    }
}
