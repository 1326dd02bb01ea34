namespace KataSharp.TestReport.Report;

/// <summary>
/// The end of the test command's output, for a CI excerpt that keeps only the tail: the failed
/// tests with their causes, the skip report, the time table, and last the one summary line
/// <c>N passed, N failed, N skipped</c> (skipped = skipped here and not run in the test host).
/// </summary>
public static class ReportWriter
{
    /// <summary>Writes the report; 0 when green, 1 when a test failed or, with <paramref name="ci"/>, a skip was not covered.</summary>
    public static int Write(TextWriter output, SuiteResults results, TimeTable times, bool ci)
    {
        if (results.Failed > 0)
        {
            output.WriteLine();
            output.WriteLine("failed tests:");
            foreach (string line in FailedTests(results.Failures))
            {
                output.WriteLine(line);
            }
        }
        bool skipsFail = false;
        if (results.Skips.Count > 0)
        {
            output.WriteLine();
            foreach (string line in SkipReport(results, ci, out skipsFail))
            {
                output.WriteLine(line);
            }
        }
        output.WriteLine();
        foreach (string line in times.Render())
        {
            output.WriteLine(line);
        }
        output.WriteLine();
        output.WriteLine($"{results.Passed} passed, {results.Failed} failed, {results.Uncovered.Count} skipped");
        return results.Failed > 0 || skipsFail ? 1 : 0;
    }

    /// <summary>
    /// Every failed test by name; tests of one run failing with the same message (a scenario whose
    /// one command failed fails all its facts) share one printing of it (<see cref="FailureMessage"/>).
    /// </summary>
    public static IEnumerable<string> FailedTests(IEnumerable<Failure> failures)
    {
        var shown = new HashSet<(string Run, string Key)>();
        foreach (Failure failure in failures)
        {
            if (failure.OneLine)
            {
                yield return $"  - {failure.Name}: {failure.Message}";
                continue;
            }
            if (!shown.Add((failure.RunName, FailureMessage.Key(failure.Message))))
            {
                yield return $"  - {failure.Name} (same message as above)";
                continue;
            }
            yield return $"  - {failure.Name}";
            foreach (string line in FailureMessage.Shorten(failure.Message))
            {
                yield return line;
            }
        }
    }

    /// <summary>
    /// Every test skipped here, grouped by reason, with what became of it in the nested test host;
    /// then the ones that ran nowhere. With <paramref name="ci"/> those fail the run
    /// (<paramref name="fails"/>): no test may be skipped silently where the test host could run it.
    /// </summary>
    public static IEnumerable<string> SkipReport(SuiteResults results, bool ci, out bool fails)
    {
        var lines = new List<string>();
        List<Skip> uncovered = results.Uncovered.ToList();
        int covered = results.Skips.Count - uncovered.Count;
        lines.Add($"skipped here: {results.Skips.Count} test(s); {covered} of them ran in the nested test host instead, {uncovered.Count} ran nowhere");
        foreach (IGrouping<string, Skip> reason in results.Skips.GroupBy(s => s.Here.Message, StringComparer.Ordinal))
        {
            lines.Add($"  skipped because: {FirstLine(reason.Key)}");
            foreach (Skip skip in reason.OrderBy(s => s.Here.Name, StringComparer.Ordinal))
            {
                lines.Add($"    - {skip.Here.Name}: {WhereItRan(skip)}");
            }
        }
        if (uncovered.Count > 0)
        {
            lines.Add(ci
                ? $"CI: {uncovered.Count} test(s) skipped here did not run in the nested test host either: that fails the run (README, Testing)"
                : $"{uncovered.Count} test(s) skipped here did not run in the nested test host either (with CI=true that fails the run)");
        }
        fails = ci && uncovered.Count > 0;
        return lines;
    }

    private static string WhereItRan(Skip skip) => skip.InTestHost switch
    {
        null => "not run in the test host",
        { Outcome: Trx.TestOutcome.Skipped } there => $"skipped in the test host too ({FirstLine(there.Message)})",
        { Outcome: var outcome } => $"{outcome.ToString().ToLowerInvariant()} in the test host",
    };

    private static string FirstLine(string text)
    {
        string line = FailureMessage.Key(text);
        return line.Length == 0 ? "(no reason given)" : line.Length > FailureMessage.LineWidth ? line[..FailureMessage.LineWidth] : line;
    }
}
