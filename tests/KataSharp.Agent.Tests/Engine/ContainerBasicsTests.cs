using KataSharp.Agent.Tests.Support;
using KataSharp.AgentCtl.Scenarios;
using Xunit;

namespace KataSharp.Agent.Tests.Engine;

public sealed class ContainerBasicsTests : IDisposable
{
    private readonly EngineHarness _harness = new();

    [Fact]
    public async Task Echo_PrintsToStdout_AndExitsZero()
    {
        var (code, stdout, stderr) = await _harness.RunAsync("echo", OciSpecs.Create("echo", "hello from the container"));
        Assert.Equal("", stderr);
        Assert.Equal("hello from the container\n", stdout);
        Assert.Equal(0, code);
    }

    public void Dispose() => _harness.Dispose();
}
