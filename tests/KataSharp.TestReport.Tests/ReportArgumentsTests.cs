using Xunit;

namespace KataSharp.TestReport.Tests;

public sealed class ReportArgumentsTests
{
    [Fact]
    public void Options_and_runs_are_read()
    {
        ReportArguments a = ReportArguments.Parse(["--ci", "--missing", "X.Tests", "--elapsed", "Y.Tests=41.5", "--step", "1/4 a=b=3", "--testhost", "h/Y.Tests.trx", "r/Y.Tests.trx"]);
        Assert.True(a.Ci);
        Assert.False(a.SkippedOnly);
        Assert.Equal(["X.Tests"], a.Missing);
        Assert.Equal(TimeSpan.FromSeconds(41.5), a.Elapsed["Y.Tests"]);
        Assert.Equal("1/4 a=b", Assert.Single(a.Steps).Label);
        Assert.Equal(["h/Y.Tests.trx"], a.TestHostRuns);
        Assert.Equal(["r/Y.Tests.trx"], a.Runs);
    }

    [Theory]
    [InlineData("--elapsed", "Y.Tests", "expected NAME=SECONDS")]
    [InlineData("--step", "label=soon", "expected NAME=SECONDS")]
    [InlineData("--frobnicate", "x", "unknown option '--frobnicate'")]
    public void Bad_input_names_the_problem(string option, string value, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => ReportArguments.Parse([option, value]));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void An_option_without_its_value_says_so() =>
        Assert.Contains("--missing needs a value", Assert.Throws<ArgumentException>(() => ReportArguments.Parse(["--missing"])).Message);
}
