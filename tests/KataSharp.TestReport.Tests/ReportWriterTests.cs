using KataSharp.TestReport.Report;
using KataSharp.TestReport.Trx;
using Xunit;

namespace KataSharp.TestReport.Tests;

public sealed class ReportWriterTests
{
    private static (int Exit, string[] Lines) Write(IReadOnlyList<TrxRun> here, IReadOnlyList<TrxRun>? testHost = null, bool ci = false, params string[] missing)
    {
        var output = new StringWriter();
        SuiteResults results = SuiteResults.Merge(here, testHost ?? [], missing);
        int exit = ReportWriter.Write(output, results, TimeTable.Build(here, testHost ?? [], new Dictionary<string, TimeSpan>(), []), ci);
        return (exit, output.ToString().Split('\n'));
    }

    private static TrxSample Vmm() => new TrxSample("KataSharp.Vmm.Tests")
        .Result("Vmm.MemoryTests", "Reads", "Passed", 1)
        .Result("Vmm.KvmTests", "Boots", "NotExecuted", 0, "needs /dev/kvm: /dev/kvm does not exist")
        .Result("Vmm.KvmTests", "Resets", "NotExecuted", 0, "needs /dev/kvm: /dev/kvm does not exist");

    [Fact]
    public void Failures_print_once_per_distinct_message_with_sections_shortened_and_the_summary_line_comes_last()
    {
        string scenario = "the scenario failed (1):\nstep one broke\n--- stderr ---\n" + string.Join('\n', Enumerable.Range(1, 12).Select(i => $"err{i}"));
        TrxRun shim = new TrxSample("KataSharp.Integration.Tests")
            .Result("Shim.E2eTests", "First", "Failed", 100, scenario)
            .Result("Shim.E2eTests", "Second", "Failed", 0, scenario)
            .Result("Shim.E2eTests", "Third", "Passed", 0)
            .Run();

        var (exit, lines) = Write([shim], missing: "KataSharp.Broken.Tests");

        Assert.Equal(1, exit);
        Assert.Equal(
            [
                "",
                "failed tests:",
                "  - KataSharp.Broken.Tests: no results (build failure or test host crash, see above)",
                "  - Shim.E2eTests.First",
                "      the scenario failed (1):",
                "      step one broke",
                "      --- stderr ---",
                "      …",
                "      err5", "      err6", "      err7", "      err8", "      err9", "      err10", "      err11", "      err12",
                "  - Shim.E2eTests.Second (same message as above)",
            ],
            lines[..17]);
        Assert.Equal(["1 passed, 3 failed, 0 skipped", ""], lines[^2..]);
    }

    [Fact]
    public void A_skip_the_test_host_ran_counts_by_its_result_there_and_its_failure_is_printed()
    {
        TrxRun testHost = new TrxSample("KataSharp.Vmm.Tests")
            .Result("Vmm.KvmTests", "Boots", "Passed", 2)
            .Result("Vmm.KvmTests", "Resets", "Failed", 3, "Assert.Equal() Failure: GuestShutdown")
            .Run();

        var (exit, lines) = Write([Vmm().Run()], [testHost], ci: true);

        Assert.Equal(1, exit);
        Assert.Contains("  - Vmm.KvmTests.Resets (in the test host)", lines);
        Assert.Contains("      Assert.Equal() Failure: GuestShutdown", lines);
        Assert.Contains("skipped here: 2 test(s); 2 of them ran in the nested test host instead, 0 ran nowhere", lines);
        Assert.Contains("    - Vmm.KvmTests.Boots: passed in the test host", lines);
        Assert.Contains("    - Vmm.KvmTests.Resets: failed in the test host", lines);
        Assert.Equal("2 passed, 1 failed, 0 skipped", lines[^2]);
    }

    [Fact]
    public void An_uncovered_skip_is_listed_with_its_reason_and_fails_only_in_CI()
    {
        TrxRun testHost = new TrxSample("KataSharp.Vmm.Tests")
            .Result("Vmm.KvmTests", "Boots", "Passed", 2)
            .Result("Vmm.KvmTests", "Resets", "NotExecuted", 0, "needs /dev/kvm: KVM_CAP_IRQCHIP missing")
            .Run();

        var (localExit, local) = Write([Vmm().Run()], [testHost]);
        var (ciExit, ci) = Write([Vmm().Run()], [testHost], ci: true);

        Assert.Equal(0, localExit);
        Assert.Equal(1, ciExit);
        Assert.Contains("  skipped because: needs /dev/kvm: /dev/kvm does not exist", local);
        Assert.Contains("    - Vmm.KvmTests.Resets: skipped in the test host too (needs /dev/kvm: KVM_CAP_IRQCHIP missing)", local);
        Assert.Contains("1 test(s) skipped here did not run in the nested test host either (with CI=true that fails the run)", local);
        Assert.Contains("CI: 1 test(s) skipped here did not run in the nested test host either: that fails the run (README, Testing)", ci);
        Assert.Equal("2 passed, 0 failed, 1 skipped", ci[^2]);
    }

    [Fact]
    public void A_run_error_counts_as_a_failure_with_the_runs_messages_and_a_failed_tests_echo_does_not()
    {
        TrxRun run = new TrxSample("KataSharp.Demo.Tests")
            .Result("Demo.ATests", "A", "Failed", 1, "boom")
            .RunMessage("[xUnit.net 00:00:01.00]     Demo.ATests.A [FAIL]")
            .RunError("Test host process crashed")
            .Run();
        var (exit, lines) = Write([run]);
        Assert.Equal(1, exit);
        Assert.Contains("  - KataSharp.Demo.Tests (the test run itself)", lines);
        Assert.Contains("      Test host process crashed", lines);
        Assert.Equal("0 passed, 2 failed, 0 skipped", lines[^2]);
    }

    [Fact]
    public void Without_a_test_host_run_every_skip_stays_a_skip()
    {
        var (exit, lines) = Write([Vmm().Run()], ci: true);
        Assert.Equal(1, exit);
        Assert.Contains("    - Vmm.KvmTests.Boots: not run in the test host", lines);
        Assert.Equal("1 passed, 0 failed, 2 skipped", lines[^2]);
    }

    [Fact]
    public void A_green_run_ends_with_the_time_table_and_the_summary_line()
    {
        TrxRun run = new TrxSample("KataSharp.Demo.Tests").Result("Demo.ATests", "A", "Passed", 4).Run();
        var (exit, lines) = Write([run], ci: true);
        Assert.Equal(0, exit);
        Assert.Equal(
            ["", "time per test class and step (seconds), slowest first:", "       4.0  Demo.ATests", "     100.0  total", "", "1 passed, 0 failed, 0 skipped", ""],
            lines);
    }
}
