using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace KataSharp.TestReport.Trx;

/// <summary>
/// One <c>dotnet test</c> run as its TRX file (the VSTest "trx" logger) tells it: every result
/// in file order, the errors its counters hold outside those results (a test host process that
/// crashed) with the run's error messages, and its wall time.
/// </summary>
public sealed record TrxRun(string Name, IReadOnlyList<TestResult> Results, int RunErrors, IReadOnlyList<string> RunMessages, TimeSpan WallTime)
{
    private static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    /// <summary>Reads <paramref name="path"/>; the run is named after the file (KataSharp.Vmm.Tests.trx → KataSharp.Vmm.Tests).</summary>
    public static TrxRun Load(string path)
    {
        try
        {
            using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            return Parse(Path.GetFileNameWithoutExtension(path), XDocument.Load(reader));
        }
        catch (Exception e) when (e is XmlException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a readable TRX file ({e.Message}); was the test run cut off?", e);
        }
    }

    public static TrxRun Parse(string name, XDocument trx)
    {
        XElement root = trx.Root ?? throw new InvalidDataException($"{name}: the TRX file is empty");
        var classOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (XElement test in root.Descendants(Ns + "UnitTest"))
        {
            if (test.Attribute("id")?.Value is { } id && test.Element(Ns + "TestMethod")?.Attribute("className")?.Value is { } className)
            {
                classOf[id] = className;
            }
        }
        var results = new List<TestResult>();
        foreach (XElement result in root.Descendants(Ns + "UnitTestResult"))
        {
            string testName = result.Attribute("testName")?.Value ?? "(unnamed test)";
            string className = result.Attribute("testId")?.Value is { } id && classOf.TryGetValue(id, out string? known)
                ? known
                : ClassFromName(testName);
            results.Add(new TestResult(testName, className, OutcomeOf(result.Attribute("outcome")?.Value),
                DurationOf(result.Attribute("duration")?.Value), MessageOf(result)));
        }
        // A crashed test host counts as an error of the run, not as a failed result; the run's
        // error messages (RunInfo) also echo every failed test, so they are context, not a count.
        int runErrors = int.TryParse(root.Descendants(Ns + "Counters").FirstOrDefault()?.Attribute("error")?.Value,
            NumberStyles.None, CultureInfo.InvariantCulture, out int errors) ? errors : 0;
        List<string> runMessages = root.Descendants(Ns + "RunInfo")
            .Where(info => info.Attribute("outcome")?.Value == "Error")
            .Select(info => Clean(info.Element(Ns + "Text")?.Value ?? "(no text)"))
            .ToList();
        XElement? times = root.Element(Ns + "Times");
        TimeSpan wall = TimeOf(times?.Attribute("start")?.Value) is { } start && TimeOf(times?.Attribute("finish")?.Value) is { } finish && finish > start
            ? finish - start
            : TimeSpan.Zero;
        return new TrxRun(name, results, runErrors, runMessages, wall);
    }

    private static TestOutcome OutcomeOf(string? outcome) => outcome switch
    {
        "Passed" => TestOutcome.Passed,
        "NotExecuted" => TestOutcome.Skipped,
        _ => TestOutcome.Failed,
    };

    private static TimeSpan DurationOf(string? duration) =>
        TimeSpan.TryParse(duration, CultureInfo.InvariantCulture, out TimeSpan value) ? value : TimeSpan.Zero;

    private static DateTimeOffset? TimeOf(string? time) =>
        DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset value) ? value : null;

    private static string MessageOf(XElement result) =>
        Clean(result.Element(Ns + "Output")?.Element(Ns + "ErrorInfo")?.Element(Ns + "Message")?.Value ?? "");

    /// <summary>TRX keeps Windows line ends as &amp;#xD;: gone, as in a terminal.</summary>
    private static string Clean(string text) => text.Replace("\r", "", StringComparison.Ordinal);

    /// <summary>Without a TestMethod entry: the name up to its last dot before any argument list.</summary>
    private static string ClassFromName(string testName)
    {
        int arguments = testName.IndexOf('(', StringComparison.Ordinal);
        string method = arguments < 0 ? testName : testName[..arguments];
        int dot = method.LastIndexOf('.');
        return dot > 0 ? method[..dot] : method;
    }
}
