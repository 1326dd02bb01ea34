using Xunit;

namespace KataSharp.TestHost.Tests;

public sealed class CommandResultTests
{
    [Fact]
    public void SuccessPassesThrough()
    {
        var ok = new CommandResult(0, "out", "", TimeSpan.FromSeconds(1)) { Command = "true" };
        Assert.Same(ok, ok.EnsureSuccess());
    }

    [Fact]
    public void FailureNamesCommandCodeAndTheTailsOfItsOutput()
    {
        string longOut = string.Join('\n', Enumerable.Range(1, 500).Select(i => $"o{i}"));
        var failed = new CommandResult(3, longOut, "boom\n", TimeSpan.FromSeconds(2))
        {
            Command = "make world",
            ConsoleTailAtExit = "kernel: oops",
        };
        var e = Assert.Throws<TestHostException>(() => failed.EnsureSuccess());
        Assert.Equal(TestHostError.CommandFailed, e.Error);
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("make world", e.Message);
        Assert.Contains("o500", e.Message);
        Assert.DoesNotContain("o100\n", e.Message);
        Assert.Contains("boom", e.Message);
        Assert.Contains("kernel: oops", e.Message);
    }
}
