using KataSharp.TestReport.Trx;

namespace KataSharp.TestReport.Report;

/// <summary>
/// A failed test (or a run that failed as a whole) and the run it belongs to; a one-line
/// failure is printed on the test's own line instead of below it.
/// </summary>
public sealed record Failure(string RunName, string Name, string Message, bool OneLine = false);

/// <summary>A test skipped on this machine, and its result in the nested test host if it ran there.</summary>
public sealed record Skip(string RunName, TestResult Here, TestResult? InTestHost)
{
    /// <summary>It ran (passed or failed) in the test host: the skip here hid nothing.</summary>
    public bool Covered => InTestHost is { Outcome: not TestOutcome.Skipped };
}

/// <summary>
/// This machine's runs merged with the nested test host's: a test skipped here that ran in the
/// test host (same run name, same test) counts by its result there; one skipped in both, or not
/// run there at all, stays a skip. A project that left no TRX file counts as one failure.
/// </summary>
public sealed class SuiteResults
{
    private SuiteResults(int passed, List<Failure> failures, List<Skip> skips)
    {
        Passed = passed;
        Failures = failures;
        Skips = skips;
    }

    public int Passed { get; }

    public IReadOnlyList<Failure> Failures { get; }

    public int Failed => Failures.Count;

    /// <summary>Every test skipped here, covered or not, in file order.</summary>
    public IReadOnlyList<Skip> Skips { get; }

    /// <summary>Skipped here and not run in the test host either: what the summary line counts as skipped.</summary>
    public IReadOnlyList<Skip> Uncovered => Skips.Where(s => !s.Covered).ToList();

    public static SuiteResults Merge(IReadOnlyList<TrxRun> here, IReadOnlyList<TrxRun> testHost, IReadOnlyList<string> runsWithoutResults)
    {
        var elsewhere = new Dictionary<(string Run, string Test), TestResult>();
        foreach (TrxRun run in testHost)
        {
            foreach (TestResult result in run.Results)
            {
                elsewhere[(run.Name, result.Name)] = result;
            }
        }
        int passed = 0;
        var failures = runsWithoutResults
            .Select(name => new Failure(name, name, "no results (build failure or test host crash, see above)", OneLine: true))
            .ToList();
        var skips = new List<Skip>();
        var failedInTestHost = new List<Failure>();
        foreach (TrxRun run in here)
        {
            failures.AddRange(RunErrors(run, run.Name, $"{run.Name} (the test run itself)"));
            foreach (TestResult result in run.Results)
            {
                switch (result.Outcome)
                {
                    case TestOutcome.Passed:
                        passed++;
                        break;
                    case TestOutcome.Failed:
                        failures.Add(new Failure(run.Name, result.Name, result.Message));
                        break;
                    case TestOutcome.Skipped:
                        var skip = new Skip(run.Name, result, elsewhere.GetValueOrDefault((run.Name, result.Name)));
                        skips.Add(skip);
                        if (skip.InTestHost is { Outcome: TestOutcome.Passed })
                        {
                            passed++;
                        }
                        else if (skip.InTestHost is { Outcome: TestOutcome.Failed } failedThere)
                        {
                            failedInTestHost.Add(new Failure($"{run.Name} (test host)", $"{failedThere.Name} (in the test host)", failedThere.Message));
                        }
                        break;
                }
            }
        }
        foreach (TrxRun run in testHost)
        {
            failures.AddRange(RunErrors(run, $"{run.Name} (test host)", $"{run.Name} (the test run itself, in the test host)"));
        }
        failures.AddRange(failedInTestHost);
        return new SuiteResults(passed, failures, skips);
    }

    /// <summary>One failure per error the run's counters hold outside its results, with the run's error messages.</summary>
    private static IEnumerable<Failure> RunErrors(TrxRun run, string runName, string name)
    {
        string message = $"the TRX file counts {run.RunErrors} error(s) outside its test results (a test process that crashed?)"
            + (run.RunMessages.Count > 0 ? "\n--- the run's error messages ---\n" + string.Join('\n', run.RunMessages) : "");
        return Enumerable.Repeat(new Failure(runName, name, message), run.RunErrors);
    }
}
