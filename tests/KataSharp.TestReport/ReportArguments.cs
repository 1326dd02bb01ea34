using System.Globalization;
using KataSharp.TestReport.Report;

namespace KataSharp.TestReport;

/// <summary>
/// The command line of katasharp-testreport (see <see cref="Usage"/>). Bad input is a
/// <see cref="ArgumentException"/> naming the argument and what it should be.
/// </summary>
public sealed class ReportArguments
{
    public const string Usage = """
        usage: katasharp-testreport [options] RUN.trx...          the report and the summary line
               katasharp-testreport skipped RUN.trx...            names of the runs with skipped tests, one a line
        options:
          --testhost FILE.trx      a run of the nested test host: covers the tests skipped in the run of the same name
          --missing NAME           a test project that left no TRX file (counts as one failure)
          --elapsed NAME=SECONDS   how long the run NAME took as a whole (build and fixtures included)
          --step LABEL=SECONDS     another step of the test command, for the time table
          --ci                     a test skipped here and not run in the test host fails the run
        """;

    public bool SkippedOnly { get; private init; }

    public bool Ci { get; private init; }

    public List<string> Runs { get; } = [];

    public List<string> TestHostRuns { get; } = [];

    public List<string> Missing { get; } = [];

    public Dictionary<string, TimeSpan> Elapsed { get; } = new(StringComparer.Ordinal);

    public List<TimeRow> Steps { get; } = [];

    public static ReportArguments Parse(IReadOnlyList<string> args)
    {
        bool skippedOnly = args.Count > 0 && args[0] == "skipped";
        bool ci = args.Contains("--ci");
        var parsed = new ReportArguments { SkippedOnly = skippedOnly, Ci = ci };
        for (int i = skippedOnly ? 1 : 0; i < args.Count; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--ci":
                    break;
                case "--testhost":
                    parsed.TestHostRuns.Add(Value(args, ref i));
                    break;
                case "--missing":
                    parsed.Missing.Add(Value(args, ref i));
                    break;
                case "--elapsed":
                    var (name, seconds) = Timed(args, ref i);
                    parsed.Elapsed[name] = seconds;
                    break;
                case "--step":
                    var (label, time) = Timed(args, ref i);
                    parsed.Steps.Add(new TimeRow(label, time));
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new ArgumentException($"unknown option '{arg}'");
                    }
                    parsed.Runs.Add(arg);
                    break;
            }
        }
        return parsed;
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].Length == 0)
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }
        return args[++i];
    }

    private static (string Name, TimeSpan Time) Timed(IReadOnlyList<string> args, ref int i)
    {
        string option = args[i];
        string value = Value(args, ref i);
        int eq = value.LastIndexOf('=');
        if (eq <= 0 || !double.TryParse(value[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds < 0)
        {
            throw new ArgumentException($"{option} '{value}': expected NAME=SECONDS with SECONDS a number ≥ 0, e.g. 'KataSharp.Vmm.Tests=41'");
        }
        return (value[..eq], TimeSpan.FromSeconds(seconds));
    }
}
