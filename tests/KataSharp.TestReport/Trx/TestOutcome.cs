namespace KataSharp.TestReport.Trx;

/// <summary>What became of one test, in the three words of the summary line.</summary>
public enum TestOutcome
{
    Passed,

    /// <summary>Failed, and also every other TRX outcome that is not a pass or a skip (Error, Timeout, Aborted...).</summary>
    Failed,

    /// <summary>TRX "NotExecuted": xunit's Skip, with the reason as the message.</summary>
    Skipped,
}
