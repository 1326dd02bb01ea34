using KataSharp.Integration.Tests.Agent;
using KataSharp.TestHost;
using Xunit;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// The key=value record of one shim scenario script (e2e.sh, cri.sh) with assertions that name
/// the key, what came instead, the step's recorded error (its <c>_err</c> key) and the shim/guest log.
/// </summary>
internal sealed record ShimScenario(Dictionary<string, string> Values, string Log)
{
    /// <summary>The class's one scenario run (shared by its facts); a run that did not exit 0 fails every fact.</summary>
    public static async Task<ShimScenario> RunAsync(SharedRun run, TestHostFixture fixture, Func<Task<string>> command, TimeSpan timeout)
    {
        CommandResult result = (await run.GetAsync(async () => await fixture.Host.RunAsync(await command(), timeout)))
            .EnsureSuccess(); // names the command, its output and L1's console
        return new ShimScenario(AgentArtifacts.Values(result.Stdout), result.Stderr);
    }

    public string this[string key] => Values.TryGetValue(key, out string? v) ? v : throw new Xunit.Sdk.XunitException($"the scenario recorded no '{key}'{VmExitNote}\n{Log}");

    public void Equal(string expected, string key) =>
        Assert.True(this[key] == expected, $"{key}: expected '{expected}', got '{this[key]}'{ErrorOf(key)}{VmExitNote}\n{Log}");

    public void Contains(string expected, string key) =>
        Assert.True(this[key].Contains(expected, StringComparison.Ordinal), $"{key}: expected to contain '{expected}', got '{this[key]}'{ErrorOf(key)}{VmExitNote}\n{Log}");

    /// <summary>A comma-separated per-cycle record (e2e.sh's run/delete cycles), one element per cycle.</summary>
    public string[] PerCycle(string key)
    {
        string[] items = this[key].Split(',');
        Assert.True(items.Length == int.Parse(this["cycles"]), $"{key}: expected {this["cycles"]} values, got '{this[key]}'{VmExitNote}\n{Log}");
        return items;
    }

    /// <summary>A VM that exited on its own explains most failures after it, so each message names the
    /// first such exit (the scripts' vm_exits record) in its head, where a short CI excerpt shows it.</summary>
    private string VmExitNote =>
        Values.TryGetValue("vm_exits", out string? count) && count != "0"
            ? $"\nthe sandbox VM exited on its own ({count}x), first: {Values.GetValueOrDefault("vm_exit_first")}"
            : "";

    /// <summary>What the step of <paramref name="key"/> (…_exit, …_out) recorded as its error, if anything.</summary>
    private string ErrorOf(string key)
    {
        int cut = key.LastIndexOf('_');
        return cut > 0 && Values.TryGetValue(key[..cut] + "_err", out string? error) ? $" ({error})" : "";
    }
}
