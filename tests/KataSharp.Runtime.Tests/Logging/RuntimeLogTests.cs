using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Sandbox;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Logging;

public sealed class RuntimeLogTests
{
    [Fact]
    public void Lines_are_logfmt_with_the_sandbox_and_container_and_debug_stays_off_by_default()
    {
        var output = new StringWriter();
        RuntimeLog log = new RuntimeLog(output, debug: false).ForSandbox("pod-1");
        log.Debug("hidden");
        log.Info("say \"hi\"", "c1");
        string text = output.ToString();
        Assert.DoesNotContain("hidden", text);
        Assert.Matches("^time=\"[0-9T:.-]+Z\" level=info msg=\"say \\\\\"hi\\\\\"\" sandbox=\"pod-1\" container=\"c1\" runtime=io.containerd.katasharp.v2\n$", text);
    }

    [Fact]
    public void A_field_comes_after_the_message_and_sandbox_right_before_the_runtime_and_is_quoted_only_when_it_must_be()
    {
        var output = new StringWriter();
        RuntimeLog log = new RuntimeLog(output, debug: false).ForSandbox("pod-1");
        log.Error("exited: console said vm_exit_reason=Forged runtime=io.containerd.katasharp.v2", new LogField("vm_exit_reason", "GuestShutdown"));
        log.Error("two words", new LogField("note", "a b"));
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(" sandbox=\"pod-1\" vm_exit_reason=GuestShutdown runtime=io.containerd.katasharp.v2", lines[0]);
        Assert.EndsWith(" note=\"a b\" runtime=io.containerd.katasharp.v2", lines[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Reason")]
    [InlineData("a b")]
    [InlineData("a=b")]
    public void A_field_key_must_be_a_plain_logfmt_key(string key) =>
        Assert.Contains("must be lower-case letters", Assert.Throws<ArgumentException>(() => new LogField(key, "v")).Message);

    [Fact]
    public void Enabling_debug_reaches_every_log_made_from_the_same_one()
    {
        var output = new StringWriter();
        var root = new RuntimeLog(output, debug: false);
        RuntimeLog sandbox = root.ForSandbox("pod-1");
        root.EnableDebug();
        sandbox.Debug("now visible");
        Assert.Contains("level=debug msg=\"now visible\" sandbox=\"pod-1\"", output.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_runtime_debug_key_turns_debug_lines_on_when_the_sandbox_boots(bool debug)
    {
        using var directory = new TempDirectory("ks-log");
        File.WriteAllText(directory.Combine("vmlinux"), "kernel");
        File.WriteAllText(directory.Combine("initrd"), "initrd");
        string config = directory.Combine("configuration.toml");
        File.WriteAllText(config, $"""
            [hypervisor.katasharp]
            kernel = "{directory.Combine("vmlinux")}"
            initrd = "{directory.Combine("initrd")}"
            [runtime]
            layer_cache_dir = "{directory.Combine("layers")}"
            debug = {(debug ? "true" : "false")}
            """);
        var output = new StringWriter();
        var log = new RuntimeLog(output, debug: false, "pod-1");
        var host = new SandboxHost("pod-1", directory.Combine("state"), _ => new FakeSandboxBackend(), path => ConfigurationLoader.Load(path),
            _ => new LayerImageCache(directory.Combine("layers"), new ErofsBuilder(), RuntimeLog.Null), log);

        await host.EnsureRunningAsync(config, CancellationToken.None);
        log.Debug("after boot");

        Assert.Equal(debug, output.ToString().Contains("msg=\"after boot\""));
        await host.StopAsync(CancellationToken.None);
    }
}
