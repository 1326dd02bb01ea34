using KataSharp.Cli.Commands;
using KataSharp.Runtime.Persistence;
using KataSharp.Runtime.Telemetry;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Telemetry;

/// <summary>`katasharp metrics SANDBOX-ID` against a fake sandbox state directory.</summary>
public sealed class MetricsCommandTests : IDisposable
{
    private readonly TempDirectory _root = new("ks-state");

    private SandboxStateStore Store => new(_root.Path);

    private (int Code, string Output, string Error) Run(string id)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MetricsCommand.Run(Store, id, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Prints_what_the_sandboxs_shim_serves()
    {
        await using var shim = FakeShimMetrics.Answering(Store, "pod1", "# HELP a_total a\n# TYPE a_total counter\na_total 5\n");
        var (code, output, error) = Run("pod1");
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Equal("# HELP a_total a\n# TYPE a_total counter\na_total 5\n", output);
    }

    [Fact]
    public void A_sandbox_that_does_not_exist_is_named_with_what_to_do()
    {
        var (code, output, error) = Run("nope");
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains($"no sandbox 'nope' in {_root.Path}", error);
        Assert.Contains("crictl pods", error);
    }

    [Fact]
    public void An_invalid_id_is_refused_before_any_path_is_made_of_it()
    {
        var (code, _, error) = Run("../etc");
        Assert.Equal(1, code);
        Assert.Contains("not a valid containerd identifier", error);
    }

    [Fact]
    public void A_sandbox_whose_shim_is_gone_says_so()
    {
        Directory.CreateDirectory(_root.Combine("pod2"));
        // What a crashed shim leaves: the path is there, nothing listens (connect is refused).
        File.WriteAllText(SandboxMetricsSocket.For(Store, "pod2"), "");
        var (code, _, error) = Run("pod2");
        Assert.Equal(1, code);
        Assert.Contains("the shim of sandbox 'pod2' does not answer", error);
    }

    [Fact]
    public void A_sandbox_without_a_metrics_socket_says_so()
    {
        Directory.CreateDirectory(_root.Combine("pod3"));
        var (code, _, error) = Run("pod3");
        Assert.Equal(1, code);
        Assert.Contains("has no metrics socket", error);
    }

    public void Dispose() => _root.Dispose();
}
