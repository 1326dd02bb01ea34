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
    /// <summary>
    /// The class's one scenario run (shared by its facts); a run that did not exit 0 fails every fact.
    /// What the nested test host is forgiven (a cycle's retry, one rerun of the whole scenario) is
    /// <see cref="NestedHostRetryPolicy"/>'s to say; the facts then see the second run, and
    /// <see cref="RerunBecause"/> says why.
    /// </summary>
    /// <param name="intendedVmExits">The VM exits the scenario causes on purpose (one each), which do not stop a rerun.</param>
    public static async Task<ShimScenario> RunAsync(SharedRun run, TestHostFixture fixture, Func<Task<string>> command, TimeSpan timeout,
        IReadOnlyList<string>? intendedVmExits = null)
    {
        CommandResult result = (await run.GetAsync(async () =>
        {
            TestHostMode mode = fixture.Host.Mode;
            string policy = NestedHostRetryPolicy.ScriptArguments(mode);
            CommandResult first = await fixture.RunAsync(await command() + policy, timeout);
            if (first.RerunBecause is { } l1Crash)
            {
                first = first with { Stdout = $"{first.Stdout}\nrerun_because={l1Crash}\n" };
            }
            if (!NestedHostRetryPolicy.MayRerun(mode) || first.ExitCode != 0
                || NestedHostRetryPolicy.ScenarioCrash(AgentArtifacts.Values(first.Stdout), intendedVmExits) is not { } crash)
            {
                return first;
            }
            Console.Error.WriteLine($"[testhost] {crash}; running the scenario once more");
            CommandResult second = await fixture.RunAsync(await command() + policy, timeout);
            return second with { Stdout = $"{second.Stdout}\nrerun_because={crash}\n" };
        })).EnsureSuccess(); // names the command, its output and L1's console
        return new ShimScenario(AgentArtifacts.Values(result.Stdout), result.Stderr);
    }

    /// <summary>Why the facts see a second run (the first one's nested-host crash), or null.</summary>
    public string? RerunBecause => Values.GetValueOrDefault("rerun_because");

    /// <summary>The cycles (e2e.sh) whose VM triple-faulted in the nested test host and ran again; none elsewhere.</summary>
    public string[] BootRetries => NestedHostRetryPolicy.CycleRetries(Values);

    /// <summary>
    /// Every VM of a scenario ends because the shim stops it (or dies with it): an exit the guest or
    /// KVM caused (a triple fault, a VMM error) is logged by the shim with its reason. The one
    /// exception is a cycle's boot that the nested test host crashed and that ran again: exactly one
    /// exit for each. Writes whether the scenario itself ran twice.
    /// </summary>
    /// <param name="intendedExits">The exits the scenario causes on purpose (one each, by vm_exit_reason), which must have happened.</param>
    public void NoUnexpectedVmExits(Xunit.Abstractions.ITestOutputHelper output, IReadOnlyList<string>? intendedExits = null)
    {
        output.WriteLine($"scenario run again after a nested-test-host crash: {RerunBecause ?? "no"}");
        intendedExits ??= [];
        Equal((BootRetries.Length + intendedExits.Count).ToString(System.Globalization.CultureInfo.InvariantCulture), "vm_exits");
        foreach (string intended in intendedExits)
        {
            Contains(intended, "vm_exit_reasons");
        }
    }

    public string this[string key] => Values.TryGetValue(key, out string? v) ? v : throw new Xunit.Sdk.XunitException($"the scenario recorded no '{key}'{VmExitNote}\n{Log}");

    public void Equal(string expected, string key) =>
        Assert.True(this[key] == expected, $"{key}: expected '{expected}', got '{this[key]}'{ErrorOf(key)}{VmExitNote}\n{Log}");

    public void Contains(string expected, string key) =>
        Assert.True(this[key].Contains(expected, StringComparison.Ordinal), $"{key}: expected to contain '{expected}', got '{this[key]}'{ErrorOf(key)}{VmExitNote}\n{Log}");

    public void DoesNotContain(string unexpected, string key) =>
        Assert.True(!this[key].Contains(unexpected, StringComparison.Ordinal), $"{key}: expected not to contain '{unexpected}', got '{this[key]}'{ErrorOf(key)}{VmExitNote}\n{Log}");

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
