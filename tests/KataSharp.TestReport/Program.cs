using KataSharp.TestReport;
using KataSharp.TestReport.Report;
using KataSharp.TestReport.Trx;

// The end of scripts/test.sh: see ReportArguments.Usage and README "Testing".
const int UsageError = 2;

ReportArguments arguments;
List<TrxRun> here, testHost;
try
{
    arguments = ReportArguments.Parse(args);
    here = arguments.Runs.Select(TrxRun.Load).ToList();
    testHost = arguments.TestHostRuns.Select(TrxRun.Load).ToList();
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
{
    Console.Error.WriteLine($"katasharp-testreport: {e.Message}\n{ReportArguments.Usage}");
    return UsageError;
}

if (arguments.SkippedOnly)
{
    foreach (TrxRun run in here.Where(r => r.Results.Any(t => t.Outcome == TestOutcome.Skipped)))
    {
        Console.WriteLine(run.Name);
    }
    return 0;
}

SuiteResults results = SuiteResults.Merge(here, testHost, arguments.Missing);
TimeTable times = TimeTable.Build(here, testHost, arguments.Elapsed, arguments.Steps);
return ReportWriter.Write(Console.Out, results, times, arguments.Ci);
