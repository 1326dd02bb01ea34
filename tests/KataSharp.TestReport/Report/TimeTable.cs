using System.Globalization;
using KataSharp.TestReport.Trx;

namespace KataSharp.TestReport.Report;

/// <summary>One row of the time table: a test class, a run's time outside its tests, or a step of the test command.</summary>
public sealed record TimeRow(string Label, TimeSpan Time);

/// <summary>
/// Where the test command's time went, slowest first: each test class (the sum of its tests'
/// durations), each run's time outside its tests (build, start-up, fixtures such as the nested
/// test host's boot: the run's elapsed time given by the caller less its classes) and the
/// command's other steps. The total is the runs' elapsed times (their TRX wall time where none
/// was given) and the steps. Classes of one run may run in parallel, so rows can add up to more.
/// </summary>
public sealed class TimeTable
{
    public const int ShownRows = 25;

    private TimeTable(List<TimeRow> rows, TimeSpan total)
    {
        Rows = rows;
        Total = total;
    }

    /// <summary>Every row, slowest first.</summary>
    public IReadOnlyList<TimeRow> Rows { get; }

    public TimeSpan Total { get; }

    /// <param name="here">This machine's runs; their time counts in the total.</param>
    /// <param name="testHost">The nested test host's runs: their classes are rows, marked "(test host)"; their
    /// time is inside the caller's step for the test-host run (boot included), so not counted again.</param>
    /// <param name="elapsed">Wall time of a run here by name, as the caller measured it (dotnet test, build included).</param>
    /// <param name="steps">The test command's other steps.</param>
    public static TimeTable Build(IEnumerable<TrxRun> here, IEnumerable<TrxRun> testHost, IReadOnlyDictionary<string, TimeSpan> elapsed, IEnumerable<TimeRow> steps)
    {
        var rows = new List<TimeRow>();
        TimeSpan total = TimeSpan.Zero;
        foreach (TrxRun run in here)
        {
            List<TimeRow> classes = Classes(run, "");
            rows.AddRange(classes);
            TimeSpan inTests = classes.Aggregate(TimeSpan.Zero, (sum, row) => sum + row.Time);
            if (elapsed.TryGetValue(run.Name, out TimeSpan measured))
            {
                total += measured;
                if (measured > inTests)
                {
                    rows.Add(new TimeRow($"{run.Name}: outside its tests (build, start-up, fixtures)", measured - inTests));
                }
            }
            else
            {
                total += run.WallTime;
            }
        }
        foreach (TrxRun run in testHost)
        {
            rows.AddRange(Classes(run, " (test host)"));
        }
        foreach (TimeRow step in steps)
        {
            rows.Add(step);
            total += step.Time;
        }
        // A class whose tests all skipped here took no time here: no row (its test-host row has the time).
        rows.RemoveAll(row => row.Time == TimeSpan.Zero);
        rows.Sort((a, b) => b.Time != a.Time ? b.Time.CompareTo(a.Time) : string.CompareOrdinal(a.Label, b.Label));
        return new TimeTable(rows, total);
    }

    private static List<TimeRow> Classes(TrxRun run, string where) =>
        run.Results
            .GroupBy(r => r.ClassName, StringComparer.Ordinal)
            .Select(g => new TimeRow(g.Key + where, g.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Duration)))
            .ToList();

    /// <summary>The <see cref="ShownRows"/> slowest rows, the rest as one row, then the total.</summary>
    public IEnumerable<string> Render()
    {
        yield return "time per test class and step (seconds), slowest first:";
        foreach (TimeRow row in Rows.Take(ShownRows))
        {
            yield return Row(row.Time, row.Label);
        }
        if (Rows.Count > ShownRows)
        {
            List<TimeRow> rest = Rows.Skip(ShownRows).ToList();
            yield return Row(rest.Aggregate(TimeSpan.Zero, (sum, r) => sum + r.Time), $"{rest.Count} more rows");
        }
        yield return Row(Total, "total");
    }

    private static string Row(TimeSpan time, string label) =>
        string.Create(CultureInfo.InvariantCulture, $"  {time.TotalSeconds,8:F1}  {label}");
}
