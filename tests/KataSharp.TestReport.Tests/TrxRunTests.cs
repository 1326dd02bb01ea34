using KataSharp.TestReport.Trx;
using Xunit;

namespace KataSharp.TestReport.Tests;

public sealed class TrxRunTests
{
    [Fact]
    public void Results_keep_file_order_class_outcome_duration_and_message_without_carriage_returns()
    {
        TrxRun run = new TrxSample("KataSharp.Demo.Tests")
            .Result("Demo.AlphaTests", "Passes", "Passed", 1.5)
            .Result("Demo.AlphaTests", "Fails", "Failed", 0.25, "Assert.Equal() Failure\r\nExpected: 1 & \"2\" <3>")
            .Result("Demo.BetaTests", "Skips", "NotExecuted", 0, "needs /dev/kvm: none here")
            .Result("Demo.BetaTests", "TimesOut", "Timeout", 30)
            .Run();

        Assert.Equal("KataSharp.Demo.Tests", run.Name);
        Assert.Equal(
            [
                new TestResult("Demo.AlphaTests.Passes", "Demo.AlphaTests", TestOutcome.Passed, TimeSpan.FromSeconds(1.5), ""),
                new TestResult("Demo.AlphaTests.Fails", "Demo.AlphaTests", TestOutcome.Failed, TimeSpan.FromSeconds(0.25), "Assert.Equal() Failure\nExpected: 1 & \"2\" <3>"),
                new TestResult("Demo.BetaTests.Skips", "Demo.BetaTests", TestOutcome.Skipped, TimeSpan.Zero, "needs /dev/kvm: none here"),
                new TestResult("Demo.BetaTests.TimesOut", "Demo.BetaTests", TestOutcome.Failed, TimeSpan.FromSeconds(30), ""),
            ],
            run.Results);
        Assert.Equal(TimeSpan.FromSeconds(100), run.WallTime);
        Assert.Equal(0, run.RunErrors);
    }

    [Fact]
    public void A_crashed_test_process_is_a_run_error_and_the_echo_of_a_failed_test_is_only_a_message()
    {
        TrxRun run = new TrxSample("X")
            .Result("A", "B", "Failed", 1, "boom")
            .RunMessage("[xUnit.net 00:00:01.00]     A.B [FAIL]")
            .RunError("The active test run was aborted. Reason: Test host process crashed")
            .Run();
        Assert.Equal(1, run.RunErrors);
        Assert.Equal(["[xUnit.net 00:00:01.00]     A.B [FAIL]", "The active test run was aborted. Reason: Test host process crashed"], run.RunMessages);
    }

    [Fact]
    public void A_cut_off_file_is_a_clear_error_naming_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ks-testreport-{Guid.NewGuid():N}.trx");
        File.WriteAllText(path, new TrxSample("X").Result("A", "B", "Passed", 1).Xml[..200]);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => TrxRun.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("cut off", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
