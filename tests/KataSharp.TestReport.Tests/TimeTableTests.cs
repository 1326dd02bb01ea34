using KataSharp.TestReport.Report;
using Xunit;

namespace KataSharp.TestReport.Tests;

public sealed class TimeTableTests
{
    [Fact]
    public void Classes_steps_and_time_outside_the_tests_sorted_slowest_first_with_the_total()
    {
        var integration = new TrxSample("KataSharp.Integration.Tests")
            .Result("Shim.E2eTests", "A", "Passed", 600)
            .Result("Shim.E2eTests", "B", "Passed", 0.5)
            .Result("Vmm.BootTests", "A", "Passed", 90)
            .Result("Vmm.KvmTests", "Boots", "NotExecuted", 0, "needs /dev/kvm")
            .Run();
        var kvm = new TrxSample("KataSharp.Vmm.Tests").Result("Vmm.KvmTests", "Boots", "Passed", 7).Run();

        TimeTable table = TimeTable.Build([integration], [kvm],
            new Dictionary<string, TimeSpan> { ["KataSharp.Integration.Tests"] = TimeSpan.FromSeconds(800) },
            [new TimeRow("3/4 binaries", TimeSpan.FromSeconds(300)), new TimeRow("KVM tests in the nested test host", TimeSpan.FromSeconds(120))]);

        Assert.Equal(
            [
                "time per test class and step (seconds), slowest first:",
                "     600.5  Shim.E2eTests",
                "     300.0  3/4 binaries",
                "     120.0  KVM tests in the nested test host",
                "     109.5  KataSharp.Integration.Tests: outside its tests (build, start-up, fixtures)",
                "      90.0  Vmm.BootTests",
                "       7.0  Vmm.KvmTests (test host)",
                "    1220.0  total",
            ],
            table.Render());
    }

    [Fact]
    public void Past_the_shown_rows_the_rest_is_one_row()
    {
        var sample = new TrxSample("Many");
        for (int i = 0; i < TimeTable.ShownRows + 3; i++)
        {
            sample.Result($"C{i:D2}", "T", "Passed", 100 - i);
        }
        List<string> lines = TimeTable.Build([sample.Run()], [], new Dictionary<string, TimeSpan>(), []).Render().ToList();
        Assert.Equal(TimeTable.ShownRows + 3, lines.Count);
        Assert.Equal("     222.0  3 more rows", lines[^2]); // 75 + 74 + 73
    }
}
