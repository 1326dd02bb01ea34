namespace KataSharp.TestReport.Trx;

/// <summary>
/// One test's result in a TRX file: <paramref name="Name"/> is the full display name (a theory's
/// row carries its arguments), <paramref name="ClassName"/> the test class, <paramref name="Message"/>
/// the failure message or skip reason (empty when there is none).
/// </summary>
public sealed record TestResult(string Name, string ClassName, TestOutcome Outcome, TimeSpan Duration, string Message);
