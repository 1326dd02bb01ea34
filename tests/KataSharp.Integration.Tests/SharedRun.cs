using KataSharp.TestHost;

namespace KataSharp.Integration.Tests;

/// <summary>
/// One test-host command per test class, shared by its facts: a nested guest boot costs tens of
/// seconds, so the first fact starts the run and the others await the same result. A run that
/// fails or throws fails every fact without running again, with one exception: when the test
/// host's own kernel failed under it (<see cref="TestHostError.KernelFailed"/>, a panic or a
/// minutes-long lockup of L1 under TCG), the run says nothing about the code under test, so it
/// starts once more on the fresh test host the fixture then boots. The first failure is logged
/// with its console line; a second one fails every fact.
/// </summary>
public sealed class SharedRun(Action<string>? log = null)
{
    private readonly object gate = new();
    private Task<CommandResult>? run;

    public Task<CommandResult> GetAsync(Func<Task<CommandResult>> start)
    {
        lock (gate)
        {
            return run ??= StartAsync(start);
        }
    }

    private async Task<CommandResult> StartAsync(Func<Task<CommandResult>> start)
    {
        try
        {
            return await start();
        }
        catch (TestHostException e) when (e.Error == TestHostError.KernelFailed)
        {
            (log ?? Console.Error.WriteLine)($"[testhost] the test host's kernel failed under this run; running it again on a fresh test host:\n{e.Message}");
            return await start();
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
