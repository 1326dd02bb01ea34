using System.Globalization;
using System.Security;
using System.Text;
using System.Xml.Linq;
using KataSharp.TestReport.Trx;

namespace KataSharp.TestReport.Tests;

/// <summary>A small TRX file as the VSTest trx logger writes it: results, test definitions, times and run errors.</summary>
internal sealed class TrxSample(string name)
{
    private readonly StringBuilder results = new();
    private readonly StringBuilder definitions = new();
    private readonly StringBuilder runInfos = new();
    private int next;
    private int errors;

    public TrxSample Result(string className, string method, string outcome, double seconds, string? message = null)
    {
        string id = $"00000000-0000-0000-0000-{++next:D12}";
        string duration = TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
        string output = message is null ? "" : $"<Output><ErrorInfo><Message>{Escape(message)}</Message></ErrorInfo></Output>";
        results.Append($"""<UnitTestResult testId="{id}" testName="{className}.{method}" duration="{duration}" outcome="{outcome}">{output}</UnitTestResult>""").Append('\n');
        definitions.Append($"""<UnitTest name="{className}.{method}" id="{id}"><TestMethod className="{className}" name="{method}" /></UnitTest>""").Append('\n');
        return this;
    }

    /// <summary>An error the counters hold outside the results (a crashed test process), with its run message.</summary>
    public TrxSample RunError(string text)
    {
        errors++;
        return RunMessage(text);
    }

    /// <summary>A run-level error message only: the logger writes one for every failed test too.</summary>
    public TrxSample RunMessage(string text)
    {
        runInfos.Append($"""<RunInfo outcome="Error"><Text>{Escape(text)}</Text></RunInfo>""");
        return this;
    }

    public string Xml => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Times creation="2026-12-03T10:00:00+00:00" start="2026-12-03T10:00:00.0000000+00:00" finish="2026-12-03T10:01:40.0000000+00:00" />
          <Results>
        {results}  </Results>
          <TestDefinitions>
        {definitions}  </TestDefinitions>
          <ResultSummary outcome="Completed"><Counters total="{next}" error="{errors}" /><RunInfos>{runInfos}</RunInfos></ResultSummary>
        </TestRun>
        """;

    public TrxRun Run() => TrxRun.Parse(name, XDocument.Parse(Xml));

    /// <summary>As the logger writes text: XML entities, and a Windows line end as &amp;#xD;.</summary>
    private static string Escape(string text) => SecurityElement.Escape(text)!.Replace("\r", "&#xD;", StringComparison.Ordinal);
}
